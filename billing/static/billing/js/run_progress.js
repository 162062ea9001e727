// The billing run page follows its run without reloading: it polls the run's progress (JSON) and
// writes each counter's text in place. Served as a static file: the Content-Security-Policy allows
// no inline script. The page marks its parts with data-run-progress-url, data-progress-text and
// data-progress-count; the JSON's "texts" say what each count counts (already translated).
(function () {
    "use strict";
    var root = document.querySelector("[data-run-progress-url]");
    if (!root) {
        return;
    }
    var url = root.getAttribute("data-run-progress-url");
    var bar = root.querySelector("progress");

    function show(p) {
        if (bar) {
            bar.max = p.total_units || 1;
            bar.value = p.done_units;
        }
        root.querySelectorAll("[data-progress-text]").forEach(function (el) {
            var text = p.texts && p.texts[el.getAttribute("data-progress-text")];
            if (text !== undefined) {
                el.textContent = text;
            }
        });
        root.querySelectorAll("[data-progress-count]").forEach(function (el) {
            var value = p[el.getAttribute("data-progress-count")];
            if (value !== undefined && value !== null) {
                el.textContent = value;
            }
        });
        root.setAttribute("data-run-status", p.status);
    }

    function poll() {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) {
                if (!response.ok) {
                    throw new Error(response.status);
                }
                return response.json();
            })
            .then(function (p) {
                show(p);
                if (!p.finished) {
                    window.setTimeout(poll, 1500);
                }
            })
            .catch(function () {
                window.setTimeout(poll, 5000);
            });
    }

    if (root.getAttribute("data-run-finished") !== "true") {
        window.setTimeout(poll, 1000);
    }
})();
