/**
 * Tables in a PDF page, found from where its text sits. A PDF keeps no table structure, only pieces of text at
 * positions (pdf.js's text items), so a table is read back from its layout: a row is the text sharing a baseline,
 * cut into cells where a wide gap separates its pieces, and a table is three or more consecutive rows whose cells
 * fall into the same columns (x-ranges), the first row being the header. Two-column prose lines up the same way,
 * so a region whose every column holds long lines is prose, not a table.
 */

/** A pdf.js text item in viewport coordinates (y grows downwards), as the loader reads it from getTextContent. */
export interface PdfTextItem {
  str: string;
  x: number;
  y: number;
  width: number;
  height: number;
  hasEOL: boolean;
}

/** A column's horizontal extent, the union of its cells' extents. */
export interface Column {
  left: number;
  right: number;
}

export interface PdfTable {
  /** The first row, or undefined when the table continues one from the page before (`continued`). */
  header?: string[];
  rows: string[][];
  caption?: string;
  columns: Column[];
  /** Indexes (in the page's item list) of the items the table is made of, its caption included. */
  items: Set<number>;
  /** Rows at the top of the page laid out in the columns of the previous page's last table: its continuation. */
  continued: boolean;
  /** Nothing but a running footer follows the table on its page: the next page may continue it. */
  endsPage: boolean;
}

interface Cell {
  text: string;
  left: number;
  right: number;
  items: number[];
}

interface Row {
  y: number;
  height: number;
  cells: Cell[];
}

/** Pieces of one line further apart than this (in font heights) are separate cells; word spaces are ~0.3. */
const CELL_GAP = 0.9;
/** Consecutive table rows are at most this far apart (baseline to baseline, in font heights). */
const ROW_PITCH = 2.6;
/** A line shorter than this many columns of text (a Han character counting two) is a cell, not prose. */
const PROSE_LINE = 20;
/**
 * A line cut into more cells than this is not a table row (no manual's table is this wide): placing a row costs its
 * cells times the table's columns, so a hostile line of thousands of pieces would cost millions.
 */
const MAX_COLUMNS = 64;
const LIST_MARKER = /^(?:\d{1,3}[.)]|\(?[a-z]\)|[•·\-–—*●▪■◦○])$/i;
const CAPTION = /^(?:table|tab\.|表)\s*[\d一二三四五六七八九十]+/i;

/**
 * The tables of one page. `carried` is the columns of the previous page's last table when it ended that page:
 * rows at the top of this page laid out in the same columns continue it (a repeated header included).
 */
export function findTables(items: readonly PdfTextItem[], pageHeight: number, carried?: Column[]): PdfTable[] {
  const rows = toRows(items);
  const tables: PdfTable[] = [];
  let start = 0;
  if (carried) {
    // A running header line may stand above the continued rows.
    for (const first of [0, 1]) {
      const run = extend(
        rows,
        first,
        carried.map((column) => ({ ...column })),
      );
      if (run && !proseLike(run.rows)) {
        tables.push(toTable(run.rows, run.columns, rows, first, run.end, pageHeight, true));
        start = run.end;
        break;
      }
    }
  }
  while (start < rows.length) {
    const row = rows[start]!;
    const run = row.cells.length >= 2 && row.cells.length <= MAX_COLUMNS ? extend(rows, start + 1, columnsOf(row), row) : undefined;
    if (run && run.rows.length >= 3) {
      if (!proseLike(run.rows)) tables.push(toTable(run.rows, run.columns, rows, start, run.end, pageHeight, false));
      // Aligned prose is skipped whole: starting again at each of its lines would be quadratic in a page's lines.
      start = run.end;
    } else {
      start++;
    }
  }
  return tables;
}

/** Rows of cells, top to bottom: items sharing a baseline, cut where a gap is wider than CELL_GAP. */
function toRows(items: readonly PdfTextItem[]): Row[] {
  const words = items
    .map((item, index) => ({ ...item, index, height: item.height > 0 ? item.height : 10 }))
    .filter((item) => item.str.trim() !== '')
    .sort((a, b) => a.y - b.y || a.x - b.x);
  const lines: (typeof words)[] = [];
  for (const word of words) {
    const line = lines[lines.length - 1];
    if (line && Math.abs(word.y - line[0]!.y) <= Math.max(1, 0.3 * Math.min(word.height, line[0]!.height))) line.push(word);
    else lines.push([word]);
  }
  return lines.map((line) => {
    line.sort((a, b) => a.x - b.x);
    const height = line.reduce((highest, word) => Math.max(highest, word.height), 0);
    const cells: Cell[] = [];
    // The last cell's last piece: testing it, not a regex over (and so a flattening of) the cell's whole text, keeps
    // a line of many thousand pieces linear.
    let lastPiece = '';
    for (const word of line) {
      const cell = cells[cells.length - 1];
      const gap = cell ? word.x - cell.right : Number.POSITIVE_INFINITY;
      if (cell && gap <= CELL_GAP * height) {
        const space = gap > 0.15 * height && !/\s$/.test(lastPiece) && !/^\s/.test(word.str) ? ' ' : '';
        cell.text += space + word.str;
        cell.right = Math.max(cell.right, word.x + word.width);
        cell.items.push(word.index);
      } else {
        cells.push({ text: word.str, left: word.x, right: word.x + word.width, items: [word.index] });
      }
      lastPiece = word.str;
    }
    for (const cell of cells) cell.text = cell.text.replace(/\s+/g, ' ').trim();
    return { y: line[0]!.y, height, cells };
  });
}

const columnsOf = (row: Row): Column[] => row.cells.map((cell) => ({ left: cell.left, right: cell.right }));
const emptyCell = (): Cell => ({ text: '', left: 0, right: 0, items: [] });
const filledCells = (cells: readonly (Cell | undefined)[]) => cells.filter((cell) => cell?.text).length;

/**
 * The rows from `from` on that fit `columns` (widening them), each with its cells by column, after `header` when
 * there is one; a row without a first cell (a cell's text wrapped onto a second line) joins the row above.
 * Undefined when no row but the header fits.
 */
function extend(rows: readonly Row[], from: number, columns: Column[], header?: Row): { rows: Row[]; columns: Column[]; end: number } | undefined {
  const fitted: Row[] = header ? [{ ...header, cells: header.cells.map((cell) => ({ ...cell, items: [...cell.items] })) }] : [];
  let previous = header;
  let end = from;
  for (; end < rows.length; end++) {
    const row = rows[end]!;
    if (previous && row.y - previous.y > ROW_PITCH * Math.max(row.height, previous.height)) break;
    // The row under the header may open a column the header leaves blank (a comparison table's empty top-left cell).
    const placed = place(row, columns, header && fitted.length === 1 ? fitted : undefined);
    if (!placed) break;
    const last = fitted[fitted.length - 1];
    if (!placed[0]?.text) {
      // A wrapped line continues the row above; a lone piece of one only when it sits close under it.
      if (!last || (filledCells(placed) < 2 && previous && row.y - previous.y > 1.6 * row.height)) break;
      appendTo(last, placed);
    } else {
      if (filledCells(placed) < 2) break;
      fitted.push({ ...row, cells: placed.map((cell) => cell ?? emptyCell()) });
    }
    previous = row;
  }
  if (fitted.length === (header ? 1 : 0)) return undefined;
  return { rows: fitted, columns, end };
}

/**
 * The row's cells by column (`columns` widened to hold them), or undefined, changing nothing, when a cell straddles
 * two columns, two cells share one, or a cell falls outside them all (unless `padded`, the rows so far, may grow).
 */
function place(row: Row, columns: Column[], padded?: Row[]): (Cell | undefined)[] | undefined {
  if (row.cells.length > MAX_COLUMNS) return undefined;
  const next = columns.map((column) => ({ ...column }));
  const slots: (Cell | undefined)[] = new Array(next.length).fill(undefined);
  const added: number[] = [];
  for (const cell of row.cells) {
    const overlapping = next.flatMap((column, index) => (cell.left < column.right + 2 && cell.right > column.left - 2 ? [index] : []));
    if (overlapping.length > 1) return undefined;
    const [index] = overlapping;
    if (index === undefined) {
      if (!padded) return undefined;
      const at = next.findIndex((column) => column.left > cell.right);
      const position = at === -1 ? next.length : at;
      next.splice(position, 0, { left: cell.left, right: cell.right });
      slots.splice(position, 0, cell);
      added.forEach((value, i) => {
        if (value >= position) added[i] = value + 1;
      });
      added.push(position);
      continue;
    }
    if (slots[index]) return undefined;
    slots[index] = cell;
    next[index] = { left: Math.min(next[index]!.left, cell.left), right: Math.max(next[index]!.right, cell.right) };
  }
  columns.splice(0, columns.length, ...next);
  for (const position of added.sort((a, b) => a - b)) for (const earlier of padded ?? []) earlier.cells.splice(position, 0, emptyCell());
  return slots;
}

/** A wrapped line's cells appended to the row it continues, column by column. */
function appendTo(row: Row, cells: readonly (Cell | undefined)[]): void {
  cells.forEach((cell, index) => {
    if (!cell?.text) return;
    const existing = row.cells[index];
    if (existing?.text) {
      existing.text = joinWrapped(existing.text, cell.text);
      existing.items.push(...cell.items);
    } else row.cells[index] = { ...cell, items: [...cell.items] };
  });
}

/** A Han character wrapped onto the next line joins without a space; words get one. */
const joinWrapped = (head: string, tail: string) => (/[\u3400-\u9fff]$/.test(head) && /^[\u3400-\u9fff]/.test(tail) ? head + tail : `${head} ${tail}`);

/** Text width in columns: a Han or full-width character counts two. */
const textColumns = (text: string) => text.length + (text.match(/[\u3000-\u9fff\uff00-\uffef]/g)?.length ?? 0);

/**
 * Two-column prose, a bulleted or numbered list, or a list of "Key: value" lines: not a table. Prose fills each
 * column with long lines, where a table has at least one column of short cells; a list's first "column" is only
 * markers; a key/value list has no header row (reading its first line as one would pin it to every other).
 */
function proseLike(rows: readonly Row[]): boolean {
  return notATable(rows.map((row) => row.cells.map((cell) => cell.text)));
}

/** proseLike over rows of cell texts: also what keeps tab-separated lines of two-column prose from being a table. */
export function notATable(rows: readonly (readonly string[])[]): boolean {
  const width = rows.reduce((widest, row) => Math.max(widest, row.length), 0);
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const columns = Array.from({ length: width }, (_, index) => rows.map((row) => row[index] ?? '').filter(Boolean));
  if (columns.every((cells) => median(cells.map(textColumns)) >= PROSE_LINE)) return true;
  return columns[0]!.every((cell) => LIST_MARKER.test(cell) || /[:：]$/.test(cell));
}

function toTable(fitted: readonly Row[], columns: readonly Column[], rows: readonly Row[], start: number, end: number, pageHeight: number, continued: boolean): PdfTable {
  const items = new Set<number>();
  for (const row of fitted) for (const cell of row.cells) for (const index of cell.items) items.add(index);
  const lines = fitted.map((row) => Array.from({ length: columns.length }, (_, index) => row.cells[index]?.text ?? ''));
  const captionRow = continued ? undefined : rows[start - 1];
  const caption = captionRow?.cells.length === 1 && CAPTION.test(captionRow.cells[0]!.text) ? captionRow.cells[0]!.text : undefined;
  if (caption) for (const index of captionRow!.cells[0]!.items) items.add(index);
  // Nothing follows the table on its page but, at most, a running footer (a page number) in the bottom tenth.
  const endsPage = end === rows.length || (end === rows.length - 1 && rows[end]!.y > 0.9 * pageHeight);
  const base = { columns: [...columns], items, continued, endsPage };
  return continued ? { ...base, rows: lines } : { ...base, header: lines[0]!, rows: lines.slice(1), ...(caption ? { caption } : {}) };
}
