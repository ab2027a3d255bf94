/* Item preview: the candidate's form is for looking at; pressing Enter in it sends nothing. */
document.querySelectorAll("form.candidate-frame").forEach(function (form) {
  form.addEventListener("submit", function (event) { event.preventDefault(); });
});

/* Hotspot areas sit where their data says, placed through the CSSOM (no style attributes
   under the page's content-security policy). */
document.querySelectorAll(".hotspot-area[data-x], .area-mark[data-x]").forEach(function (spot) {
  spot.style.left = spot.dataset.x + "%";
  spot.style.top = spot.dataset.y + "%";
});
