export { type IngesterStores, ingesterTopics, subscribeIngester } from './ingester.ts'
