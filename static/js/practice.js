// Practice helpers: a timer that fills in a duration field, and a breathing pacer.
(function () {
  "use strict";
  document.querySelectorAll("[data-timer-for]").forEach(function (box) {
    var input = document.getElementById(box.dataset.timerFor);
    var clock = box.querySelector(".timer-clock");
    var start = box.querySelector(".timer-start");
    var stop = box.querySelector(".timer-stop");
    var began = null, tick = null;
    function show() {
      var s = Math.floor((Date.now() - began) / 1000);
      clock.textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    }
    start.addEventListener("click", function () {
      began = Date.now(); show(); tick = setInterval(show, 1000);
      start.hidden = true; stop.hidden = false;
    });
    stop.addEventListener("click", function () {
      clearInterval(tick);
      var minutes = Math.max(1, Math.round((Date.now() - began) / 60000));
      input.value = String(minutes);
      input.dispatchEvent(new Event("input", { bubbles: true }));  // saved as a draft like typing
      start.hidden = false; stop.hidden = true; start.textContent = start.textContent;
    });
  });
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
      circle.style.transitionDuration = phase[1] + "s";
      circle.className = "pacer-circle " + phase[2];
      i += 1;
      timer = setTimeout(next, phase[1] * 1000);
    }
    button.addEventListener("click", function () {
      if (timer) { clearTimeout(timer); timer = null; button.textContent = button.dataset.start; circle.className = "pacer-circle"; return; }
      i = 0; button.textContent = button.dataset.stop; next();
    });
  });
})();
