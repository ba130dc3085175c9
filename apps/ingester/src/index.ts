export {
  type IngesterStores,
  ingesterGroup,
  ingesterTopics,
  quarantinedDeadLetter,
  subscribeIngester,
} from './ingester.ts'
