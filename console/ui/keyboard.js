// Keyboard shortcuts (the help bar lists them): N claim next; A, R, I decide; 1 2 3 tick the
// checklist; Ctrl+Enter sends the note; Esc leaves a field, then dismisses, then goes back.

import { claimNext, decide } from "./actions.js";
import { dismissProblem } from "./problems.js";
import { homeRoute, navigate } from "./routing.js";
import { state } from "./state.js";

function typingIn(el) {
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

export function installShortcuts() {
  document.addEventListener("keydown", (e) => {
    if (!state.session) return;
    const target = e.target;
    if (typingIn(target)) {
      if (e.key === "Escape") target.blur(); // leave the field first; a second Esc goes back
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && target.id === "note") {
        e.preventDefault();
        decide(state.pending || "reject");
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const inTask = state.route.view === "task";
    const toggle = { 1: "#chk-order", 2: "#chk-evidence", 3: "#chk-refund" }[e.key];
    if (e.key === "n" || e.key === "N") claimNext();
    else if (inTask && (e.key === "a" || e.key === "A")) decide("approve");
    else if (inTask && (e.key === "r" || e.key === "R")) decide("reject");
    else if (inTask && (e.key === "i" || e.key === "I")) decide("need_info");
    else if (inTask && toggle) {
      const box = document.querySelector(toggle);
      if (box && !box.disabled) box.checked = !box.checked;
    } else if (e.key === "Escape") {
      if (state.problem) dismissProblem();
      else if (state.route.view === "task") navigate(homeRoute());
    } else return;
    e.preventDefault();
  });
}
