// Behaviour of the public site and the portal. No inline scripts or handlers: the
// Content-Security-Policy allows only scripts served from our own static files.
document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
        target.form.submit();
    }
});

// Portal bills (/portal/bills/): the running total of the ticked bills, in fen to avoid float sums.
(function () {
    function toFen(text) {
        var parts = String(text).trim().split(".");
        var fen = (parts[1] || "").concat("00").slice(0, 2);
        return parseInt(parts[0] || "0", 10) * 100 + parseInt(fen, 10);
    }
    function formatFen(fen) {
        var yuan = String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
        return "¥" + yuan + "." + String(fen % 100).padStart(2, "0");
    }
    function update(form) {
        var line = form.querySelector("[data-running-total]");
        if (!line) { return; }
        var boxes = form.querySelectorAll("input[type=checkbox][name=invoice][data-owed]:checked");
        var total = 0;
        boxes.forEach(function (box) { total += toFen(box.getAttribute("data-owed")); });
        form.querySelector("#selected-count").textContent = String(boxes.length);
        form.querySelector("#selected-total").textContent = formatFen(total);
        line.hidden = false;
    }
    document.addEventListener("change", function (event) {
        var target = event.target;
        if (target instanceof HTMLInputElement && target.hasAttribute("data-owed") && target.form) { update(target.form); }
    });
    document.addEventListener("DOMContentLoaded", function () {
        document.querySelectorAll("[data-running-total]").forEach(function (line) {
            if (line.closest("form")) { update(line.closest("form")); }
        });
    });
})();
