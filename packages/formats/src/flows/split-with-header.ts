/**
 * Split a line-oriented input that declares its columns in header lines (AWS flow logs, Zeek TSV)
 * into parts of about `maxChars` that each parse on their own: a part that starts inside a section
 * gets that section's header lines first. A part's `firstLine` is chosen so that its data lines
 * keep their line numbers in the whole input (the copied header takes the numbers just before
 * them; header lines are never reported, so nothing points at them). Parts are cut only before a
 * data line, so a header is never split from its section.
 */
export function splitWithHeader(
  input: string,
  maxChars: number,
  isHeaderLine: (line: string) => boolean,
): { text: string; firstLine: number }[] {
  if (input.length <= maxChars) return [{ text: input, firstLine: 1 }]
  const lines = input.split('\n')
  const parts: { text: string; firstLine: number }[] = []
  let header: string[] = []
  let inHeader = false
  let part: string[] = []
  let partChars = 0
  let partFirstLine = 1
  let partHasData = false
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!
    const isHeader = isHeaderLine(line.replace(/\r$/, ''))
    if (isHeader) {
      // Consecutive header lines form one header; the first one after data starts a new section.
      if (!inHeader) header = []
      header.push(line)
      inHeader = true
    } else if (line.trim() !== '') {
      inHeader = false
    }
    if (!isHeader && partHasData && partChars + line.length + 1 > maxChars) {
      parts.push({ text: part.join('\n'), firstLine: partFirstLine })
      part = [...header]
      partChars = header.reduce((sum, headerLine) => sum + headerLine.length + 1, 0)
      partFirstLine = index + 1 - header.length
      partHasData = false
    }
    part.push(line)
    partChars += line.length + 1
    if (!isHeader && line.trim() !== '') partHasData = true
  }
  if (part.length > 0) parts.push({ text: part.join('\n'), firstLine: partFirstLine })
  return parts
}
