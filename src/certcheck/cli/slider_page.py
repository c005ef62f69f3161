"""The page ``--captcha slider-web`` serves: the background, the piece at its height and a
slider the person drags, as on the lookup's own page. Plain HTML and script, no outside
resources, so that it works offline and behind any proxy.

The script asks certcheck for the current puzzle (``puzzle``), moves the piece with the slider
(mouse, touch or the arrow keys), and sends the offset when the slider is let go (or Enter):
``answer`` with ``{id, offset}``, or ``{id, skip: true}`` for a new image.
"""

from __future__ import annotations

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>certcheck 滑块验证（slider）</title>
<style>
body { font-family: system-ui, "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em;
       color: #222; }
h1 { font-size: 1.2em; font-weight: 600; }
#stage { position: relative; margin: 1em 0 0.5em; user-select: none; line-height: 0; }
#bg { display: block; }
#piece { position: absolute; left: 0; top: 0; filter: drop-shadow(0 0 2px #000); }
#track { position: relative; height: 40px; background: #e8eef7; border: 1px solid #c5d2e6;
         border-radius: 20px; user-select: none; touch-action: none; }
#handle { position: absolute; left: 0; top: -1px; width: 56px; height: 40px;
          background: #1e6fd9; color: #fff; border-radius: 20px; text-align: center;
          line-height: 40px; cursor: grab; font-size: 20px; touch-action: none; }
#handle:focus { outline: 3px solid #f5a623; }
#status { min-height: 1.5em; }
#status.note { color: #b3261e; font-weight: 600; }
.small { color: #666; font-size: 0.9em; }
</style>
</head>
<body>
<h1>特种设备作业人员证查询：拖动滑块，使拼图块嵌入缺口<br>
<span class="small">（special-equipment lookup: drag the slider until the piece fills the gap）
</span></h1>
<p id="status">正在获取（loading）…</p>
<div id="stage" hidden><img id="bg" alt="背景图（background）"><img id="piece"
 alt="拼图块（piece）"></div>
<div id="track" hidden><div id="handle" tabindex="0" role="slider" aria-valuemin="0"
 aria-valuenow="0" aria-label="滑块（slider）">&rarr;</div></div>
<p class="small">位置（offset）：<span id="value">0</span> &nbsp;
<button id="skip" type="button" disabled>换一张（new image）</button></p>
<p class="small">松开滑块即提交；也可用方向键（Shift 加速）移动、回车提交。<br>
（release the slider to send it; arrow keys, Shift: faster, and Enter work too）</p>
<script src="app.js"></script>
</body>
</html>
"""

SCRIPT = """"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const bg = $("bg"), piece = $("piece"), handle = $("handle"), track = $("track");
  let current = null, offset = 0, drag = null, busy = false, finished = false;

  function say(text, note) {
    $("status").textContent = text;
    $("status").className = note ? "note" : "";
  }
  // CSS pixels per image pixel: 1 unless the window is narrower than the background.
  function scale() {
    const shown = bg.getBoundingClientRect().width;
    return current && shown > 0 ? shown / current.width : 1;
  }
  function place(x) {
    if (!current) return;
    const most = Math.max(0, current.width - current.pieceWidth);
    offset = Math.max(0, Math.min(most, Math.round(x)));
    const s = scale();
    piece.style.left = (offset * s) + "px";
    piece.style.top = (current.y * s) + "px";
    piece.style.width = (current.pieceWidth * s) + "px";
    handle.style.left = (offset * s) + "px";
    handle.setAttribute("aria-valuenow", String(offset));
    $("value").textContent = String(offset);
  }
  function show(p) {
    current = p; busy = false; drag = null;
    bg.src = p.background; piece.src = p.piece;
    bg.style.width = p.width + "px"; bg.style.maxWidth = "100%";
    $("stage").style.width = p.width + "px"; $("stage").style.maxWidth = "100%";
    track.style.width = p.width + "px"; track.style.maxWidth = "100%";
    handle.setAttribute("aria-valuemax", String(Math.max(0, p.width - p.pieceWidth)));
    $("stage").hidden = false; track.hidden = false; $("skip").disabled = false;
    document.body.dataset.puzzle = p.id;
    document.body.dataset.ready = "0";
    const ready = () => { place(0); document.body.dataset.ready = "1"; };
    if (bg.complete && bg.naturalWidth > 0) ready(); else bg.onload = ready;
    say(p.note || "拖动下方滑块，使拼图块嵌入缺口（drag the slider until the piece fills the gap）",
        Boolean(p.note));
    handle.focus();
  }
  async function send(body) {
    if (!current || busy) return;
    busy = true; $("skip").disabled = true;
    say("已提交，等待查询平台的回答…（sent, waiting for the lookup）", false);
    try {
      const r = await fetch("answer", {method: "POST", cache: "no-store",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
      if (!r.ok) { busy = false; say("这一张已失效，请等下一张（this one is gone）", true); }
      document.body.dataset.sent = String(body.skip ? "skip" : body.offset);
    } catch (e) { busy = false; say("无法连接 certcheck（cannot reach certcheck）", true); }
  }
  function submit() { if (current) send({id: current.id, offset: offset}); }
  async function poll() {
    if (finished) return;
    try {
      const r = await fetch("puzzle", {cache: "no-store"});
      const p = await r.json();
      if (p.done) {
        finished = true; $("stage").hidden = true; track.hidden = true;
        say("核验已结束，可以关闭此页（the check is over）", false);
        return;
      }
      if (p.id && (!current || p.id !== current.id)) show(p);
      else if (!p.id && current && busy) say("等待下一张…（waiting for the next one）", false);
    } catch (e) {
      finished = true;
      say("certcheck 已不再运行，可以关闭此页（certcheck is no longer running）", false);
      return;
    }
    setTimeout(poll, 500);
  }
  handle.addEventListener("pointerdown", (e) => {
    if (!current || busy) return;
    drag = {x: e.clientX, start: offset};
    handle.setPointerCapture(e.pointerId);
    handle.style.cursor = "grabbing";
    e.preventDefault();
  });
  handle.addEventListener("pointermove", (e) => {
    if (drag) place(drag.start + (e.clientX - drag.x) / scale());
  });
  const release = (e) => {
    if (!drag) return;
    drag = null; handle.style.cursor = "grab";
    submit();
  };
  handle.addEventListener("pointerup", release);
  handle.addEventListener("pointercancel", () => { drag = null; });
  handle.addEventListener("keydown", (e) => {
    if (!current || busy) return;
    const step = e.shiftKey ? 10 : 1;
    if (e.key === "ArrowLeft") { place(offset - step); e.preventDefault(); }
    else if (e.key === "ArrowRight") { place(offset + step); e.preventDefault(); }
    else if (e.key === "Enter") { submit(); e.preventDefault(); }
  });
  $("skip").addEventListener("click", () => { if (current) send({id: current.id, skip: true}); });
  window.addEventListener("resize", () => place(offset));
  poll();
})();
"""
