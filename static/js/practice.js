// Practice helpers: a timer that fills in a duration field, and a breathing pacer.
(function () {
  "use strict";
  var reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // The timer: start, pause/resume and stop by pointer or keyboard (they are buttons). The clock itself is
  // silent for screen readers (role=timer); only changes of state are announced, in the status line, so a
  // screen reader is not interrupted every second. The focus moves to the button that takes the place of the
  // one just pressed, which is hidden, so a keyboard user is never left on nothing.
  document.querySelectorAll("[data-timer-for]").forEach(function (box) {
    var input = document.getElementById(box.dataset.timerFor);
    var clock = box.querySelector(".timer-clock");
    var start = box.querySelector(".timer-start");
    var pause = box.querySelector(".timer-pause");
    var stop = box.querySelector(".timer-stop");
    var status = box.querySelector(".timer-status");
    var pauseText = pause.textContent;
    var elapsed = 0, began = null, tick = null;  // ms counted before the current run, and when it began
    function total() { return elapsed + (began === null ? 0 : Date.now() - began); }
    function shown() {
      var s = Math.floor(total() / 1000);
      return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    }
    function show() { clock.textContent = shown(); }
    function announce(text) { status.textContent = text; }
    function run() { began = Date.now(); show(); tick = setInterval(show, 1000); }
    function halt() { elapsed = total(); began = null; clearInterval(tick); tick = null; show(); }
    start.addEventListener("click", function () {
      elapsed = 0; run();
      start.hidden = true; pause.hidden = false; stop.hidden = false;
      pause.textContent = pauseText;
      pause.focus();
      announce(box.dataset.running);
    });
    pause.addEventListener("click", function () {
      if (began === null) {
        run(); pause.textContent = pauseText; announce(box.dataset.running);
      } else {
        halt(); pause.textContent = pause.dataset.resume; announce(box.dataset.paused + " " + shown());
      }
    });
    stop.addEventListener("click", function () {
      halt();
      var minutes = Math.max(1, Math.round(elapsed / 60000));
      input.value = String(minutes);
      input.dispatchEvent(new Event("input", { bubbles: true }));  // saved as a draft like typing
      start.hidden = false; pause.hidden = true; stop.hidden = true;
      start.focus();
      announce(box.dataset.stopped.replace("%(minutes)s", String(minutes)));
    });
  });

  // A 0-100 scale typed as a number (arrow keys move it by one): screen readers hear "40 of 100", not "40".
  document.querySelectorAll("input[data-valuetext]").forEach(function (scale) {
    function describe() {
      if (scale.value === "") { scale.removeAttribute("aria-valuetext"); return; }
      scale.setAttribute("aria-valuetext", scale.dataset.valuetext.replace("%(value)s", scale.value).replace("%(max)s", scale.max));
    }
    scale.addEventListener("input", describe);
    describe();
  });

  // The breathing pacer: the circle grows and shrinks with the breath, unless the person asked for less
  // motion (then the words alone pace the breath and the circle stays still).
  document.querySelectorAll(".pacer").forEach(function (pacer) {
    var button = pacer.querySelector(".pacer-toggle");
    var word = pacer.querySelector(".pacer-word");
    var circle = pacer.querySelector(".pacer-circle");
    var phases = [
      [button.dataset.in, Number(pacer.dataset.inhale), "grow"],
      [button.dataset.holdWord, Number(pacer.dataset.hold), "hold"],
      [button.dataset.out, Number(pacer.dataset.exhale), "shrink"],
    ].filter(function (p) { return p[1] > 0; });
    var timer = null, i = 0;
    function next() {
      var phase = phases[i % phases.length];
      word.textContent = phase[0];
      circle.style.transitionDuration = reducedMotion.matches ? "0s" : phase[1] + "s";
      circle.className = "pacer-circle " + (reducedMotion.matches ? "" : phase[2]);
      i += 1;
      timer = setTimeout(next, phase[1] * 1000);
    }
    button.addEventListener("click", function () {
      if (timer) { clearTimeout(timer); timer = null; button.textContent = button.dataset.start; circle.className = "pacer-circle"; return; }
      i = 0; button.textContent = button.dataset.stop; next();
    });
  });
})();
