/**
 * Characters in a string as zod and JSON Schema count them: code points, a surrogate pair being one and a lone
 * surrogate one too. The compiled event validator uses it for `minLength` and `maxLength`.
 */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length -= 1;
      i += 1;
    }
  }
  return length;
}
