// The answer areas of the item kinds other than single/multiple choice, for exam.js.
// Each question carries its type's view (item_bank.types: parts in the candidate's display
// order, never the key) and `response`, the answer in the type's shape (text, or parts named
// by their opaque per-attempt ids, which the server maps back to part ids before storing). Texts of stems and parts are sanitised HTML from the
// server's allow-list, so they are rendered with innerHTML as the choice options are; ids and
// cloze options are plain text and only ever set as values or textContent.
(function () {
  "use strict";

  function node(tag, props, children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    if (children) e.append(...children);
    return e;
  }

  function html(tag, markup, cls) {
    const e = node(tag, { className: cls || "" });
    e.innerHTML = markup;  // sanitised HTML (item_bank.sanitise), as the stem
    return e;
  }

  function select(labelText, count, value, onChange, labels) {
    const s = node("select");
    s.setAttribute("aria-label", labelText);
    s.append(node("option", { value: "", textContent: "—" }));
    for (let i = 0; i < count; i++) {
      s.append(node("option", { value: labels ? labels[i].value : String(i + 1),
                                textContent: labels ? labels[i].text : String(i + 1) }));
    }
    s.value = value == null ? "" : String(value);
    s.addEventListener("change", () => onChange(s.value));
    return s;
  }

  const filled = (v) => v !== null && v !== undefined && String(v).trim() !== "";
  const numberShown = (v) => (typeof v === "number" ? String(v).replace(".", ",") : v);

  // Whether the question is fully answered: every statement judged, every left item matched,
  // every item placed, every gap filled. A half-done item stays "unanswered" in the navigator
  // and the submit dialog, so the candidate is sent back to finish it.
  function answered(q) {
    const r = q.response, v = q.view;
    if (r === null || r === undefined) return false;
    switch (q.type) {
      case "true_false4": return v.choices.every((c) => typeof r[c.id] === "boolean");
      case "matching": return v.choices.every((c) => filled(r[c.id]));
      case "ordering": return Array.isArray(r) && r.length === v.choices.length;
      case "cloze": return v.gaps.every((g) => filled(r[g.id]));
      default: return filled(r);
    }
  }

  function trueFalse(q, ctx) {
    const r = q.response || {};
    const id = "q" + q.position;
    const header = (text, suffix) => {
      const th = node("th", { scope: "col", textContent: text });
      if (suffix) th.id = id + "-" + suffix;
      return th;
    };
    const table = node("table", { className: "judge" });
    table.append(node("thead", {}, [node("tr", {}, [
      header(ctx.T.statement), header(ctx.T.true, "true"), header(ctx.T.false, "false")])]));
    const body = node("tbody");
    q.view.choices.forEach((part, i) => {
      const name = id + "-" + i;
      const text = node("th", { scope: "row", id: name + "-text", className: "statement" },
                        [node("b", { textContent: String.fromCharCode(97 + i) + ") " }),
                         html("span", part.text)]);
      const cells = [true, false].map((truth) => {
        const input = node("input", { type: "radio", name, checked: r[part.id] === truth,
                                      disabled: ctx.closed });
        // read as "a) <statement> Đúng": the row's statement and the column's word
        input.setAttribute("aria-labelledby", name + "-text " + id + (truth ? "-true" : "-false"));
        input.addEventListener("change", () => {
          ctx.answer({ ...(q.response || {}), [part.id]: truth });
        });
        return node("td", {}, [input]);
      });
      body.append(node("tr", {}, [text, ...cells]));
    });
    table.append(body);
    return table;
  }

  function matching(q, ctx) {
    const r = q.response || {};
    const targets = node("ol", { className: "targets" },
                         q.view.targets.map((t) => html("li", t.text)));
    const labels = q.view.targets.map((t, i) => ({ value: t.id, text: String(i + 1) }));
    const rows = q.view.choices.map((part, i) => {
      const text = html("span", part.text, "left");
      const pick = select(ctx.T.match_to + " " + (i + 1), labels.length, r[part.id],
                          (value) => {
                            const next = { ...(q.response || {}) };
                            if (value) next[part.id] = value; else delete next[part.id];
                            ctx.answer(Object.keys(next).length ? next : null);
                          }, labels);
      pick.disabled = ctx.closed;
      return node("li", {}, [text, " → ", pick]);
    });
    return node("div", { className: "matching" }, [
      node("p", { className: "hint", textContent: ctx.T.match_hint }),
      node("ol", { className: "lefts", type: "a" }, rows),
      node("h3", { textContent: ctx.T.targets }), targets]);
  }

  // The place (1…n) the candidate gave each item. Kept on the question while the page lives,
  // so a gap left while placing ("a → 3" first) stays; the response is the placed ids in
  // that order (what the server grades), so a reload closes the gaps.
  function ordering(q, ctx) {
    const ids = q.view.choices.map((c) => c.id);
    if (!q.positions) {
      q.positions = {};
      (q.response || []).forEach((id, i) => { q.positions[id] = i + 1; });
    }
    const positions = q.positions;
    const rows = q.view.choices.map((part, i) => {
      const pick = select(ctx.T.position + " " + String.fromCharCode(97 + i), ids.length,
                          positions[part.id], (value) => {
        const taken = ids.find((id) => positions[id] === Number(value) && id !== part.id);
        if (taken) {  // two items never share a place: the other one takes this one's place
          if (positions[part.id]) positions[taken] = positions[part.id];
          else delete positions[taken];
        }
        if (value) positions[part.id] = Number(value); else delete positions[part.id];
        const order = ids.filter((id) => positions[id]).sort((a, b) => positions[a] - positions[b]);
        ctx.answer(order.length ? order : null, Boolean(taken));
      });
      pick.disabled = ctx.closed;
      pick.dataset.focusKey = "order-" + part.id;
      return node("li", {}, [pick, " ", html("span", part.text)]);
    });
    return node("div", { className: "ordering" }, [
      node("p", { className: "hint", textContent: ctx.T.order_hint }),
      node("ol", { className: "items", type: "a" }, rows)]);
  }

  function textInput(q, ctx, props, label) {
    const input = node("input", { type: "text", autocomplete: "off", spellcheck: false,
                                  value: numberShown(q.response) ?? "", disabled: ctx.closed,
                                  ...props });
    input.setAttribute("aria-label", label);
    input.addEventListener("input", () => ctx.type(input.value));
    input.addEventListener("blur", () => ctx.typed());
    return input;
  }

  function shortAnswer(q, ctx) {
    return node("label", { className: "typed" }, [
      ctx.T.answer + ": ", textInput(q, ctx, { maxLength: q.view.input.max_length || 1000,
                                              size: 30 }, ctx.T.answer)]);
  }

  function numeric(q, ctx) {
    const input = textInput(q, ctx, { inputMode: "decimal", size: 16 }, ctx.T.answer);
    return node("div", { className: "typed" }, [
      node("label", {}, [ctx.T.answer + ": ", input]),
      node("p", { className: "hint", textContent: ctx.T.number_hint })]);
  }

  const MARKER = /\[\[\s*([^[\]\s]+)\s*\]\]/g;
  function decode(text) {
    const t = document.createElement("textarea");
    t.innerHTML = text;
    return t.value;
  }

  // The stem with an input or a list in place of each [[id]] gap (as item_bank.preview draws
  // them): markers become empty slots in the HTML, then real elements are put in the slots.
  function clozeStem(q, ctx) {
    const gaps = {};
    q.view.gaps.forEach((g, i) => { gaps[g.id] = { gap: g, n: i + 1 }; });
    const stem = html("div", q.stem.replace(MARKER, (whole, id) => {
      const found = gaps[decode(id)];
      return found ? '<span data-gap-slot="' + found.n + '"></span>' : whole;
    }), "stem");
    const update = (gapId, value) => {
      const next = { ...(q.response || {}) };
      if (value) next[gapId] = value; else delete next[gapId];
      return Object.keys(next).length ? next : null;
    };
    const r = q.response || {};
    q.view.gaps.forEach((g, i) => {
      const slot = stem.querySelector('[data-gap-slot="' + (i + 1) + '"]');
      if (!slot) return;
      const label = ctx.T.gap + " " + (i + 1);
      let control;
      if (g.input === "select") {
        control = select(label, g.options.length, r[g.id], (value) => ctx.answer(update(g.id, value)),
                         g.options.map((o) => ({ value: o.id, text: o.text })));
        control.disabled = ctx.closed;
      } else {
        control = node("input", { type: "text", size: 12, autocomplete: "off", spellcheck: false,
                                  value: r[g.id] ?? "", disabled: ctx.closed });
        control.setAttribute("aria-label", label);
        control.addEventListener("input", () => ctx.type(update(g.id, control.value)));
        control.addEventListener("blur", () => ctx.typed());
      }
      control.classList.add("gap");
      control.dataset.gap = g.id;
      slot.replaceWith(control);
    });
    return stem;
  }

  const AREAS = { true_false4: trueFalse, matching, ordering, short_answer: shortAnswer,
                  numeric };

  // [stem element, answer area] for a question of kind q.type. ctx: {T, closed,
  // answer(response, redraw) — a change to save now (redraw: other controls changed too),
  // type(response) — typing, saved after a pause, typed() — the field was left: save now}.
  function render(q, ctx) {
    if (q.type === "cloze") return [clozeStem(q, ctx), node("div")];
    const area = AREAS[q.type];
    return [html("div", q.stem, "stem"), area ? area(q, ctx) : node("div")];
  }

  window.ExamItems = { render, answered };
})();
