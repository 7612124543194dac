// Served beside the saved pages of tests/data/link-pages: remembers where every element was before the
// extension ran, so a test can check that the link badges moved nothing.
window.__mastheadProbe = {
  elements: [],
  rects() {
    return this.elements.map((element) => {
      const box = element.getBoundingClientRect();
      return [box.x, box.y, box.width, box.height].map((value) => Math.round(value * 10) / 10).join(",");
    });
  },
};
document.addEventListener("DOMContentLoaded", () => {
  const probe = window.__mastheadProbe;
  probe.elements = [...document.body.querySelectorAll("*")].filter((element) => element.localName !== "script");
  probe.before = probe.rects();
});
