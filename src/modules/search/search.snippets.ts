import { randomBytes } from 'node:crypto';

/** A piece of a snippet: plain text, highlighted where it matched the query. Clients render both as text. */
export interface SnippetPart {
  text: string;
  highlighted: boolean;
}

/** ts_headline's StartSel/StopSel for one search: letters and digits only, random, so no body can fake them. */
export interface Markers {
  start: string;
  stop: string;
}

export function newMarkers(): Markers {
  const nonce = randomBytes(9).toString('hex');
  return { start: `HLs${nonce}`, stop: `HLe${nonce}` };
}

/** A headline with the markers in it, as plain text and as parts; a marker never reaches the client. */
export function splitHeadline(headline: string, markers: Markers): { snippet: string; parts: SnippetPart[] } {
  const parts: SnippetPart[] = [];
  const push = (text: string, highlighted: boolean) => {
    if (!text) return;
    const last = parts.at(-1);
    if (last?.highlighted === highlighted) last.text += text;
    else parts.push({ text, highlighted });
  };
  for (const [i, chunk] of headline.split(markers.start).entries()) {
    if (i === 0) {
      push(chunk.replaceAll(markers.stop, ''), false);
      continue;
    }
    const end = chunk.indexOf(markers.stop);
    if (end < 0) push(chunk, true);
    else {
      push(chunk.slice(0, end), true);
      push(chunk.slice(end + markers.stop.length).replaceAll(markers.stop, ''), false);
    }
  }
  return { snippet: parts.map((p) => p.text).join(''), parts };
}
