/**
 * A deliberately small Markdown renderer for answers: paragraphs, line breaks, bullet and numbered lists,
 * **bold**, `code`, [links](https://…) and citation markers [n]. It builds DOM nodes with textContent only,
 * so no HTML from the model or the documents can ever reach the page as markup.
 */
export interface RenderOptions {
  /** Called for each [n] marker; returns the element to show (a citation link), or null to keep the text. */
  citation?: (n: number) => HTMLElement | null;
  /** Phone numbers and e-mail addresses become tel: and mailto: links (the human contact of a refusal). */
  contacts?: boolean;
}

const CONTACT = /([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})|(\+?\d[\d\s-]{5,}\d)/g;

/** Text with its e-mail addresses and phone numbers as links a tap can act on. */
export function appendContacts(parent: Node, text: string): void {
  let last = 0;
  for (const match of text.matchAll(CONTACT)) {
    const digits = match[2]?.replace(/\D/g, '') ?? '';
    // A short run of digits is a number in the text, not a phone number.
    if (match[2] && digits.length < 7) continue;
    parent.appendChild(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement('a');
    link.href = match[1] ? `mailto:${match[1]}` : `tel:${match[2]!.trim().startsWith('+') ? '+' : ''}${digits}`;
    link.textContent = match[0];
    parent.appendChild(link);
    last = match.index! + match[0].length;
  }
  parent.appendChild(document.createTextNode(text.slice(last)));
}

export function renderMarkdown(source: string, options: RenderOptions = {}): DocumentFragment {
  const fragment = document.createDocumentFragment();
  let list: HTMLElement | null = null;
  let paragraph: HTMLElement | null = null;
  for (const rawLine of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = rawLine.trimEnd();
    const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)、]\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      paragraph = null;
      const tag = bullet ? 'UL' : 'OL';
      if (!list || list.tagName !== tag) {
        list = document.createElement(tag.toLowerCase());
        fragment.append(list);
      }
      const item = document.createElement('li');
      appendInline(item, (bullet ?? numbered)![1], options);
      list.append(item);
      continue;
    }
    list = null;
    if (!line.trim()) {
      paragraph = null;
      continue;
    }
    if (!paragraph) {
      paragraph = document.createElement('p');
      fragment.append(paragraph);
    } else paragraph.append(document.createElement('br'));
    appendInline(paragraph, line.replace(/^#{1,6}\s+/, ''), options);
  }
  return fragment;
}

const INLINE = /(\*\*([^*]+)\*\*)|(`([^`]+)`)|(\[([^\]]+)\]\(([^)\s]+)\))|(\[(\d{1,2})\])/g;

function appendInline(parent: HTMLElement, text: string, options: RenderOptions) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    plain(parent, text.slice(last, match.index), options);
    last = match.index! + match[0].length;
    if (match[1]) {
      const strong = document.createElement('strong');
      strong.textContent = match[2];
      parent.append(strong);
    } else if (match[3]) {
      const code = document.createElement('code');
      code.textContent = match[4];
      parent.append(code);
    } else if (match[5]) {
      const href = safeUrl(match[7]);
      if (href) {
        const link = document.createElement('a');
        link.href = href;
        link.target = '_blank';
        link.rel = 'noopener noreferrer nofollow';
        link.textContent = match[6];
        parent.append(link);
      } else parent.append(match[6]);
    } else if (match[8]) {
      parent.append(options.citation?.(Number(match[9])) ?? match[8]);
    }
  }
  plain(parent, text.slice(last), options);
}

const plain = (parent: HTMLElement, text: string, options: RenderOptions) => (options.contacts ? appendContacts(parent, text) : parent.append(text));

/** Only http(s) and same-site paths become links; javascript:, data: and the rest stay text. */
export function safeUrl(url: string): string | null {
  if (/^\/(?!\/)/.test(url)) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}
