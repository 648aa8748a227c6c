// Small page actions without inline script (the CSP allows only files from this site):
// a form with data-confirm asks before it is sent; a button with data-print prints the page.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  const button = event.target.closest ? event.target.closest("[data-print]") : null;
  if (button) window.print();
});
