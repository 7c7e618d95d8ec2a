// Number and time formatting shared by the tables, the figure captions and the charts.
// A fixed locale keeps what the page shows independent of the browser's settings.

const LOCALE = "en-US";
const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const ratio = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatInt(n) {
  return n === null || n === undefined ? "—" : integer.format(n);
}

export function formatRatio(n) {
  return n === null || n === undefined ? "—" : ratio.format(Number(n));
}

export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined) return "—";
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency }).format(Number(amount));
  } catch {
    return `${ratio.format(Number(amount))} ${currency}`;
  }
}

/** "2026-11-12T14:00:00Z" -> a label for the grain ("2026-11-12 14:00", "2026-11-12", "Nov 2026"). */
export function formatPeriod(periodStart, grain) {
  const iso = String(periodStart);
  if (grain === "hour") return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  if (grain === "month") {
    const d = new Date(iso);
    return Number.isNaN(d.getTime())
      ? iso.slice(0, 7)
      : d.toLocaleDateString(LOCALE, { month: "short", year: "numeric", timeZone: "UTC" });
  }
  if (grain === "week") return `Week of ${iso.slice(0, 10)}`;
  return iso.slice(0, 10);
}

/**
 * An ISO timestamp shown in UTC, to the second: "2026-11-12 14:03:27 UTC". Without `zone`,
 * "2026-11-12 14:03:27", for a table column whose header already says "(UTC)".
 */
export function formatTime(iso, { zone = true } = {}) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const text = `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}`;
  return zone ? `${text} UTC` : text;
}

/** A period as the end of a sentence: "on 2026-11-12", "at 2026-11-12 14:00", "in the week of ...", "in Nov 2026". */
export function formatWhen(periodStart, grain) {
  const label = formatPeriod(periodStart, grain);
  if (grain === "hour") return `at ${label}`;
  if (grain === "week") return `in the ${label[0].toLowerCase()}${label.slice(1)}`;
  if (grain === "month") return `in ${label}`;
  return `on ${label}`;
}

/** "1 day", "30 days", "1,200 hours". */
export function countOf(n, noun) {
  return `${formatInt(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** "hourly", "daily", "weekly", "monthly". */
export function grainly(grain) {
  return { hour: "hourly", day: "daily", week: "weekly", month: "monthly" }[grain] || grain;
}
