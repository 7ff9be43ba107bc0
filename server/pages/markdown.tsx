import type { ComponentChildren } from 'preact';

/**
 * The small part of Markdown PRIVACY.md uses, as Preact elements (so every character of the
 * text is escaped by the renderer): `#`/`##`/`###` headings, paragraphs, `- ` lists (lines
 * indented under an item continue it), `**bold**`, `` `code` `` and `[text](https://…)` links.
 */
export function Markdown({ source }: { source: string }) {
  const blocks: ComponentChildren[] = [];
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  let paragraph: string[] = [];
  let list: string[] | null = null;
  const flush = () => {
    if (paragraph.length) blocks.push(<p>{inline(paragraph.join(' '))}</p>);
    if (list)
      blocks.push(
        <ul>
          {list.map((item) => (
            <li>{inline(item)}</li>
          ))}
        </ul>,
      );
    paragraph = [];
    list = null;
  };
  for (const line of lines) {
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const item = /^[-*]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const text = inline(heading[2]!);
      blocks.push(
        heading[1]!.length === 1 ? (
          <h1>{text}</h1>
        ) : heading[1]!.length === 2 ? (
          <h2>{text}</h2>
        ) : (
          <h3>{text}</h3>
        ),
      );
    } else if (item) {
      if (paragraph.length) flush();
      list ??= [];
      list.push(item[1]!);
    } else if (!line.trim()) {
      flush();
    } else if (list && /^\s+/.test(line)) {
      list[list.length - 1] += ` ${line.trim()}`;
    } else {
      if (list) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return <>{blocks}</>;
}

function inline(text: string): ComponentChildren[] {
  const parts: ComponentChildren[] = [];
  const pattern = /\*\*([^*]+)\*\*|`([^`]+)`|\[([^\]]+)\]\((https?:\/\/[^)\s]+|\/[^)\s]*)\)/g;
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > at) parts.push(text.slice(at, m.index));
    if (m[1] !== undefined) parts.push(<strong>{m[1]}</strong>);
    else if (m[2] !== undefined) parts.push(<code>{m[2]}</code>);
    else parts.push(<a href={m[4]}>{m[3]}</a>);
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}
