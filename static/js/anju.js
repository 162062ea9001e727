// Behaviour of the public site and the portal. No inline scripts or handlers: the
// Content-Security-Policy allows only scripts served from our own static files.
document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
        target.form.submit();
    }
});
