// Bar charts as HTML: each bar a row of label, bar and value, so the numbers are text a
// screen reader reads and the chart needs no library.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

const COLOURS = { positive: "good", negative: "bad", neutral: "plain" };

// entries: [[label, count], ...]; the bars are scaled to the largest count.
export function barChart(title, entries) {
  const largest = Math.max(1, ...entries.map(([, n]) => n));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const list = el("ul", { class: "bars" });
  for (const [label, count] of entries) {
    const bar = el("span", { class: `bar ${COLOURS[label] || "plain"}`, "aria-hidden": "true" });
    bar.style.width = `${(100 * count) / largest}%`;
    const share = total ? ` (${Math.round((100 * count) / total)} %)` : "";
    list.append(
      el("li", {},
        el("span", { class: "bar-label", text: label }),
        el("span", { class: "bar-track" }, bar),
        el("span", { class: "bar-value", text: `${count.toLocaleString("en")}${share}` })),
    );
  }
  return el("figure", { class: "chart" }, el("figcaption", { text: title }), list);
}
