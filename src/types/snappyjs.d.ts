/** snappyjs 0.7 ships no types (and @types/snappyjs is not a dependency): the two functions AgentHub uses. */
declare module 'snappyjs' {
  /** Snappy block format. Throws when the header claims more than `maxLength` bytes or the stream is invalid. */
  export function uncompress<T extends Uint8Array>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array>(uncompressed: T): T;
}
