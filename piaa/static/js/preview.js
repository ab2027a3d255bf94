/* Item preview: the candidate's form is for looking at; pressing Enter in it sends nothing. */
document.querySelectorAll("form.candidate-frame").forEach(function (form) {
  form.addEventListener("submit", function (event) { event.preventDefault(); });
});
