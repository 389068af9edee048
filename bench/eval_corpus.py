"""An independent evaluation corpus for the rule pack: a few hundred sessions of a support / ops
agent system with planted incidents of SEAM001-SEAM012 and their near misses, in forms that
differ from the rule authors' fixtures, and a ``labels.json`` that says what was planted.

    .venv/bin/python bench/eval_corpus.py OUT_DIR            # incidents + near misses
    .venv/bin/python bench/eval_corpus.py OUT_DIR --clean    # the same traffic, no incident
    .venv/bin/python bench/eval_rules.py OUT_DIR             # score the rules on it

Dev dependencies only (the ``fixtures`` extra). The deployment, each writer on its own clock:

* ``gateway/gw-NNN.harness.jsonl``: the gateway (canonical harness JSON Lines, SPEC 2.3), rotated
  in five files (one directory, one writer, one clock domain), the reference clock; a quarter of
  the sessions' lines carry no W3C ids.
* ``agent/agent.otlp.jsonl``: the support agent process (OpenTelemetry SDK, GenAI conventions,
  the SDK's OTLP encoder; one export request per session), clock +0.22 s; a few sessions are
  OpenInference-instrumented.
* ``agent/account-desk.agents.jsonl``: Agents SDK sessions (offline, scripted model, a trace
  processor stamping the host's clock, -0.35 s) whose tools go through the gateway.
* ``tools/crm.otlp.pb`` (Collector protobuf stream) and ``tools/billing.otlp.jsonl``: two tool
  services whose SERVER spans are children of the caller's spans via W3C trace context, clocks
  -0.31 s and +0.41 s. Planted SEAM010s add ``tools/search.otlp.jsonl`` (+2.7 s) and
  ``tools/geo.otlp.jsonl`` (steps from +0.2 s to +1.9 s).
* ``scheduler/scheduler.harness.jsonl``: the scheduler's harness log (``clock`` label
  ``scheduler``; it shares the gateway's NTP, so no offset).
* ``agents-sdk/export.json``: standalone Agents SDK sessions (fixtures/generate_openai_agents.py's
  scripted model and collecting processor), one trace per session.
* ``triage/triage.otlp.jsonl``: a pydantic-ai ``Agent`` driven by a ``FunctionModel`` under the
  OpenTelemetry SDK (its own instrumentation and conversation ids).

Ordinary traffic (``--ordinary``, ``--busy``) runs concurrently and holds the benign look-alikes
of every incident: empty results acknowledged, jobs polled to completion, retries under one
idempotency key, guarded writes, trimmed history that keeps the latest result, approvals
granted, correct dates, warm prompt caches. Times are scripted on one true timeline (ms after
``BASE``), so reruns write the same bytes (except pydantic-ai's own run ids).
``--case NAME`` writes only the sessions of one planted form plus a few ordinary sessions that
anchor the clocks: the small rule fixtures under fixtures/rules/ were cut this way.
``labels.json``: ``incidents`` (code, session or subject, the sessions involved, form) and
``near_misses`` (code, session, form), plus ``allowed`` findings that a planted incident of one
rule legitimately also raises under another (a lost response that made a tool run twice is also
a timeout race).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures"))

import opentelemetry.sdk.trace as otel_sdk_trace  # noqa: E402
from agents.tool_context import ToolContext  # noqa: E402  (function tools' annotations resolve here)
from generate_demo import PROPAGATOR, instrumentation, length_prefixed, make_process, otlp_json_line  # noqa: E402
from generate_multisource import BASE_NS, MS, encode_ts, iso_us  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans  # noqa: E402
from opentelemetry.trace import SpanKind, Status, StatusCode  # noqa: E402

MODEL = "gpt-4.1"
SUPPORT_SYSTEM = ("You are the Northwind support agent. Answer customers from tool results only; when a "
                  "lookup returns nothing, say so and ask for details.")
OFFSETS_MS = {"agent": 220.0, "crm": -310.0, "billing": 410.0, "search": 2700.0}
CRM_TOOLS = {"lookup_order", "lookup_customer", "get_ticket", "search_kb", "create_ticket", "send_email",
             "get_warranty", "update_contact", "find_tickets", "get_profile", "edit_profile",
             "start_data_export", "get_export_status", "reindex_mailbox"}
TS_FORMS = ["rfc3339_z", "rfc3339_z", "epoch_ms", "rfc3339_+02:00", "epoch_ns"]


def ns_at(ms: float, offset_ms: float = 0.0) -> int:
    return BASE_NS + int(round((ms + offset_ms) * MS))


def user_msg(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"type": "text", "content": text}]}


def calls_msg(calls: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    return {"role": "assistant", "parts": [{"type": "tool_call", "id": cid, "name": name, "arguments": args}
                                           for name, cid, args in calls]}


def result_msg(call_id: str, body: Any) -> dict[str, Any]:
    return {"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": body}]}


@dataclass
class Sess:
    sid: str
    agent: str
    root: Any
    messages: list[dict[str, Any]] = field(default_factory=list)
    step: int = 0
    linked: bool = True  # the gateway logs the W3C ids it propagates (not every gateway does)

    @property
    def trace_hex(self) -> str:
        return format(self.root.get_span_context().trace_id, "032x")


class World:
    """The deployment: gateway harness, agent process, tool services; one true timeline (ms)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.id_rng = random.Random(f"gateway-ids-{seed}")  # not the processes' seeded id streams
        self.gw: list[tuple[int, dict[str, Any]]] = []
        self.sched: list[tuple[int, dict[str, Any]]] = []
        self.agent = make_process("support-agent", "agent-node", "3.2.0", seed)
        self.services = {"crm": make_process("crm-tools", "crm-node", "1.4.0", seed + 1),
                         "billing": make_process("billing-tools", "billing-node", "2.0.1", seed + 2)}
        self.tracer = self.agent.tracer_provider.get_tracer("northwind.agent", "3.2.0")
        self.agent_requests: list[Any] = []
        self.labels: dict[str, list[dict[str, Any]]] = {"incidents": [], "near_misses": [], "allowed": []}
        self.cache_written = False
        self.unlinked_share = 0.25
        self.traces: dict[str, str] = {}  # session -> trace id (hex) of its agent run or gateway context

    # -- labels
    def incident(self, code: str, form: str, session: str | None, *, subject: str | None = None,
                 sessions: list[str] | None = None) -> None:
        self.labels["incidents"].append({"code": code, "form": form, "session": session, "subject": subject,
                                         "sessions": sessions or ([session] if session else [])})

    def near(self, code: str, form: str, session: str | None, *, subject: str | None = None) -> None:
        self.labels["near_misses"].append({"code": code, "form": form, "session": session, "subject": subject})

    def allow(self, code: str, session: str, why: str) -> None:
        self.labels["allowed"].append({"code": code, "session": session, "why": why})

    # -- harness
    def log(self, at_ms: float, event: str, sess: Sess | str, *, to: str = "gw", **fields: Any) -> None:
        sid = sess.sid if isinstance(sess, Sess) else sess
        line: dict[str, Any] = {"event": event, "session_id": sid}
        if isinstance(sess, Sess):
            line["agent"] = sess.agent
            if not sess.linked:
                fields = {k: v for k, v in fields.items() if k not in ("trace_id", "span_id")}
        line.update({k: v for k, v in fields.items() if v is not None or (k == "result" and event == "tool.result")})
        (self.gw if to == "gw" else self.sched).append((ns_at(at_ms), line))

    # -- sessions
    def open(self, sid: str, at_ms: float, prompt: str, *, agent: str = "support",
             deadline_ms: float | None = None, otel: bool = True) -> Sess:
        if not otel:  # no OTel agent process: the gateway's own (unexported) trace context
            from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
            root = NonRecordingSpan(SpanContext(self.id_rng.getrandbits(128), self.id_rng.getrandbits(64), False,
                                                TraceFlags(1)))
            sess = Sess(sid, agent, root, [user_msg(prompt)], linked=self.rng.random() > self.unlinked_share)
            self.traces[sid] = sess.trace_hex
            self.log(at_ms, "session.open", sess, trace_id=sess.trace_hex, deadline_ms=deadline_ms)
            return sess
        root = self.tracer.start_span(f"invoke_agent {agent}", kind=SpanKind.INTERNAL,
                                      start_time=ns_at(at_ms + 1, OFFSETS_MS["agent"]),
                                      attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent,
                                                  "gen_ai.conversation.id": sid})
        sess = Sess(sid, agent, root, [user_msg(prompt)], linked=self.rng.random() > self.unlinked_share)
        self.traces[sid] = sess.trace_hex
        self.log(at_ms, "session.open", sess, trace_id=sess.trace_hex, deadline_ms=deadline_ms)
        return sess

    def close(self, sess: Sess, at_ms: float, answer: str | None, status: str = "ok") -> None:
        if answer is not None:
            self.log(at_ms - 2, "response.forward", sess, step=sess.step, text=answer)
        self.log(at_ms, "session.close", sess, status=status)
        sess.root.end(end_time=ns_at(at_ms - 1, OFFSETS_MS["agent"]))
        spans = self.agent.span_exporter.get_finished_spans()
        if spans:
            self.agent_requests.append(list(spans))
            self.agent.span_exporter.clear()

    def chat(self, sess: Sess, start_ms: float, end_ms: float, *, text: str | None = None,
             calls: list[tuple[str, str, dict[str, Any]]] = (), inputs: list[dict[str, Any]] | None = None,
             system: str = SUPPORT_SYSTEM, cache: tuple[int, int] | None = None, harness: bool = True) -> float:
        sess.step += 1
        inputs = list(sess.messages if inputs is None else inputs)
        if text is not None:
            out = [{"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}]
        else:
            out = [dict(calls_msg(list(calls)), finish_reason="tool_call")]
        if cache is None:  # the support prompt is warm: one write per cache lifetime, reads after
            cache = (0, 1450) if self.cache_written else (1450, 0)
            self.cache_written = True
        write, read = cache
        span = self.tracer.start_span(
            f"chat {MODEL}", context=trace.set_span_in_context(sess.root), kind=SpanKind.CLIENT,
            start_time=ns_at(start_ms, OFFSETS_MS["agent"]),
            attributes={"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                        "gen_ai.request.model": MODEL, "gen_ai.conversation.id": sess.sid,
                        "gen_ai.agent.name": sess.agent,
                        **({"gen_ai.system_instructions": json.dumps([{"type": "text", "content": system}])}
                           if system else {}),
                        "gen_ai.input.messages": json.dumps(inputs), "gen_ai.output.messages": json.dumps(out),
                        "gen_ai.usage.input_tokens": 1600 + 60 * len(inputs), "gen_ai.usage.output_tokens": 44,
                        "gen_ai.usage.cache_read.input_tokens": read,
                        "gen_ai.usage.cache_creation.input_tokens": write})
        link = {"step": sess.step, "trace_id": sess.trace_hex, "span_id": format(span.get_span_context().span_id, "016x")}
        if harness:
            self.log(start_ms + 2, "model.request", sess, **link)
            self.log(end_ms - 2, "model.response", sess, text=text, status="ok", **link)
        span.end(end_time=ns_at(end_ms, OFFSETS_MS["agent"]))
        if calls:
            sess.messages.append(calls_msg(list(calls)))
        if text is not None:
            sess.messages.append({"role": "assistant", "parts": [{"type": "text", "content": text}]})
        return end_ms

    def call(self, sess: Sess, tool: str, cid: str, args: dict[str, Any], start_ms: float,
             server_ms: tuple[float, float] | None, *, result: Any = None, http_status: int = 200,
             harness: bool = True, agent_span: bool = True, gives_up: str | None = None,
             give_up_ms: float | None = None, server_status: str = "ok", server_error: str | None = None,
             attempt: int = 1, retry: bool = False, key: str | None = None, deliver: bool = True,
             caller_status: str | None = None, caller_error: str | None = None, service: str | None = None,
             server_call_id: bool = True, harness_result: bool = True, http_attr: bool = True) -> float:
        """One attempt of a tool call; returns when the caller had its outcome."""
        service = service or ("crm" if tool in CRM_TOOLS else "billing")
        proc = self.services[service]
        offset = OFFSETS_MS[service]
        ctx = trace.set_span_in_context(sess.root)
        client = None
        if agent_span:
            client = self.tracer.start_span(
                f"execute_tool {tool}", context=ctx, kind=SpanKind.CLIENT,
                start_time=ns_at(start_ms, OFFSETS_MS["agent"]),
                attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                            "gen_ai.tool.call.id": cid, "gen_ai.conversation.id": sess.sid,
                            "gen_ai.tool.call.arguments": json.dumps(args)})
            parent_ctx = trace.set_span_in_context(client)
            link = {"span_id": format(client.get_span_context().span_id, "016x"), "trace_id": sess.trace_hex}
        else:
            parent_ctx = ctx
            link = {"trace_id": sess.trace_hex}
        link.update(step=sess.step, tool=tool, tool_call_id=cid, attempt=attempt)
        if harness:
            if retry:
                self.log(start_ms + 1, "tool.retry", sess, idempotency_key=key, **link)
            self.log(start_ms + 2, "tool.dispatch", sess, args=args, timeout_ms=8000, idempotency_key=key, **link)
        if server_ms is not None:
            headers: dict[str, str] = {}
            PROPAGATOR.inject(headers, context=parent_ctx)
            attrs: dict[str, Any] = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                                     "gen_ai.tool.call.arguments": json.dumps(args, separators=(",", ":")),
                                     **({"http.request.method": "POST", "url.path": f"/v2/tools/{tool}",
                                         "http.response.status_code": http_status} if http_attr else
                                        {"rpc.system": "grpc", "rpc.service": f"{service}.Tools", "rpc.method": tool})}
            if server_call_id:
                attrs["gen_ai.tool.call.id"] = cid
            if key:
                attrs["http.request.header.idempotency-key"] = [key]
            span = proc.tracer_provider.get_tracer(f"{service}.http").start_span(
                f"POST /v2/tools/{tool}" if http_attr else f"{service}.Tools/{tool}", context=PROPAGATOR.extract(headers), kind=SpanKind.SERVER,
                start_time=ns_at(server_ms[0], offset), attributes=attrs)
            if server_status == "ok":
                span.set_attribute("gen_ai.tool.call.result", json.dumps(result, separators=(",", ":")))
                if http_status >= 400:
                    span.set_status(Status(StatusCode.ERROR, server_error or f"HTTP {http_status}"))
                    span.set_attribute("error.type", str(http_status))
            elif server_status in ("cancelled", "error", "no_result"):
                if server_status != "no_result":
                    span.set_status(Status(StatusCode.ERROR, server_error or server_status))
                    span.set_attribute("error.type", "cancelled" if server_status == "cancelled" else str(http_status))
            span.end(end_time=ns_at(server_ms[1], offset))
        if gives_up:
            done = give_up_ms
            event = "tool.timeout" if gives_up == "timeout" else "tool.cancel"
            msg = caller_error or ("deadline exceeded after %d ms" % (give_up_ms - start_ms) if gives_up == "timeout"
                                   else "request cancelled by the agent loop")
            if harness:
                self.log(done, event, sess, status=gives_up, error=msg, **link)
            if client is not None:
                client.set_attribute("error.type", "TimeoutError" if gives_up == "timeout" else "CancelledError")
                client.set_status(Status(StatusCode.ERROR, msg))
                client.end(end_time=ns_at(done + 1, OFFSETS_MS["agent"]))
            return done
        done = (server_ms[1] if server_ms else start_ms + 5) + 14
        status = caller_status or ("ok" if http_status < 400 and server_status == "ok" else "error")
        err = caller_error or (server_error if status == "error" else None)
        if harness and harness_result:
            self.log(done, "tool.result", sess, status=status, http_status=http_status if server_ms else None,
                     result=result if status == "ok" else None, error=err, **link)
        if client is not None:
            if status == "ok":
                client.set_attribute("gen_ai.tool.call.result", json.dumps(result))
            else:
                client.set_attribute("error.type", str(http_status) if server_ms else "ConnectError")
                client.set_status(Status(StatusCode.ERROR, err or "error"))
            client.end(end_time=ns_at(done + 1, OFFSETS_MS["agent"]))
        if deliver:
            sess.messages.append(result_msg(cid, result if status == "ok" else {"error": err}))
        return done

    def quick(self, sess: Sess, tool: str, cid: str, args: dict[str, Any], t: float, result: Any, **kw: Any) -> float:
        s0 = t + 8 + self.rng.uniform(10, 30)
        return self.call(sess, tool, cid, args, t, (s0, s0 + self.rng.uniform(80, 320)), result=result, **kw)

    # -- writing
    def write(self, out: Path, extra: dict[str, Any], keep: set[str] | None = None) -> None:
        """Write the deployment's files; `keep`: only these sessions (their harness lines and
        the spans of their traces), for a small fixture cut out of the corpus."""
        traces = None if keep is None else {tid for sid, tid in self.traces.items() if sid in keep}

        def kept_line(line: dict[str, Any]) -> bool:
            return keep is None or line.get("session_id") in keep

        def kept_spans(spans: Any) -> list[Any]:
            return [sp for sp in spans if traces is None or format(sp.context.trace_id, "032x") in traces]

        (out / "gateway").mkdir(parents=True)
        lines = sorted(((t, line) for t, line in self.gw if kept_line(line)), key=lambda x: x[0])
        per_file = max(1, len(lines) // 5 + 1)
        for n in range(0, len(lines), per_file):
            with (out / "gateway" / f"gw-{n // per_file:03d}.harness.jsonl").open("w", encoding="utf-8") as f:
                for i, (t, line) in enumerate(lines[n:n + per_file]):
                    ts, _ = encode_ts(t, TS_FORMS[i % len(TS_FORMS)])
                    f.write(json.dumps({"ts": ts, **line}, separators=(",", ":")) + "\n")
        sched = [(t, line) for t, line in self.sched if kept_line(line)]
        if sched:
            (out / "scheduler").mkdir()
            with (out / "scheduler" / "scheduler.harness.jsonl").open("w", encoding="utf-8") as f:
                for t, line in sorted(sched, key=lambda x: x[0]):
                    f.write(json.dumps({"ts": iso_us(t).replace("+00:00", "Z"), "clock": "scheduler", **line},
                                       separators=(",", ":")) + "\n")
        (out / "agent").mkdir(exist_ok=True)
        left = self.agent.span_exporter.get_finished_spans()
        batches = [kept_spans(b) for b in self.agent_requests + ([list(left)] if left else [])]
        requests = [encode_spans(b) for b in batches if b]
        if requests:
            (out / "agent" / "agent.otlp.jsonl").write_bytes(b"".join(otlp_json_line(r) for r in requests))
        (out / "tools").mkdir()
        for name, proc in self.services.items():
            spans = kept_spans(proc.span_exporter.get_finished_spans())
            if not spans:
                continue
            chunks = [encode_spans(spans[i:i + 200]) for i in range(0, len(spans), 200)]
            if name == "crm":  # the Collector's protobuf stream
                (out / "tools" / "crm.otlp.pb").write_bytes(length_prefixed(chunks))
            else:
                (out / "tools" / f"{name}.otlp.jsonl").write_bytes(b"".join(otlp_json_line(c) for c in chunks))
        labels = {k: [x for x in v if keep is None or x.get("session") in keep or
                      set(x.get("sessions") or []) & keep] for k, v in self.labels.items()}
        (out / "labels.json").write_text(json.dumps(dict(labels, **extra), indent=1) + "\n", encoding="utf-8")


# ============================================================================================
# Ordinary traffic
# ============================================================================================

CARRIERS = ["DHL", "PostNord", "UPS", "Bring"]


def normal_session(w: World, sid: str, t0: float, kind: int) -> float:
    """One ordinary support conversation; returns its end time."""
    r = w.rng
    if kind == 0:
        order = f"NW-{r.randint(10000, 99999)}"
        sess = w.open(sid, t0, f"Hi, where is my order {order}?")
        t = w.chat(sess, t0 + 20, t0 + 20 + r.uniform(500, 900), calls=[("lookup_order", f"call_{sid}_1", {"order_id": order})])
        body = {"order_id": order, "status": "shipped", "carrier": r.choice(CARRIERS),
                "eta": f"2026-12-{r.randint(1, 9):02d}"}
        t = w.quick(sess, "lookup_order", f"call_{sid}_1", {"order_id": order}, t + 5, body)
        ans = f"Order {order} has shipped with {body['carrier']} and should arrive on {body['eta']}."
    elif kind == 1:
        inv = f"INV-{r.randint(1000, 9999)}"
        amount = round(r.uniform(20, 900), 2)
        sess = w.open(sid, t0, f"Can you tell me the total of invoice {inv}?")
        t = w.chat(sess, t0 + 20, t0 + 20 + r.uniform(500, 900), calls=[("get_invoice", f"call_{sid}_1", {"invoice_id": inv})])
        body = {"invoice_id": inv, "total_eur": amount, "due_date": "2026-12-15", "state": "open"}
        t = w.quick(sess, "get_invoice", f"call_{sid}_1", {"invoice_id": inv}, t + 5, body)
        ans = f"Invoice {inv} totals EUR {amount}, due on 2026-12-15; it is still open."
    elif kind == 2:
        cust = f"C-{r.randint(100, 999)}"
        sess = w.open(sid, t0, f"I'm customer {cust}; which plan am I on and when is my next bill?")
        calls = [("lookup_customer", f"call_{sid}_1", {"customer_id": cust}),
                 ("get_invoice", f"call_{sid}_2", {"customer_id": cust, "which": "next"})]
        t = w.chat(sess, t0 + 20, t0 + 20 + r.uniform(600, 1000), calls=calls)
        b1 = {"customer_id": cust, "plan": r.choice(["Team", "Business", "Starter"]), "seats": r.randint(2, 40)}
        b2 = {"invoice_id": f"INV-{r.randint(1000, 9999)}", "total_eur": round(r.uniform(50, 500), 2),
              "due_date": "2027-01-01"}
        t1 = w.quick(sess, "lookup_customer", calls[0][1], calls[0][2], t + 5, b1)
        t2 = w.quick(sess, "get_invoice", calls[1][1], calls[1][2], t + 9, b2)
        t = max(t1, t2)
        ans = (f"You are on the {b1['plan']} plan with {b1['seats']} seats; your next bill is EUR "
               f"{b2['total_eur']} on 2027-01-01.")
    elif kind == 4:  # a lookup that finds nothing, and the answer says so
        order = f"NW-{r.randint(10000, 99999)}"
        sess = w.open(sid, t0, f"Where is order {order}?")
        t = w.chat(sess, t0 + 20, t0 + 600, calls=[("lookup_order", f"call_{sid}_1", {"order_id": order})])
        t = w.quick(sess, "lookup_order", f"call_{sid}_1", {"order_id": order}, t + 5,
                    r.choice([None, [], {}, {"error": {"code": "NOT_FOUND", "message": f"order {order} not found"}}]))
        ans = r.choice([f"I couldn't find an order {order}. Could you check the number on your confirmation e-mail?",
                        f"There's no order {order} in our system; maybe it was placed under another account?",
                        f"Sorry, I wasn't able to locate order {order}. Can you share the e-mail address you used?",
                        f"The order lookup returned no results for {order}, so I can't tell you where it is yet."])
    elif kind == 5:  # an async export, polled until it finished, link handed over
        cust = f"C-{r.randint(100, 999)}"
        op = f"op-{r.randint(10000, 99999)}"
        sess = w.open(sid, t0, "Please export my ticket history.")
        t = w.chat(sess, t0 + 20, t0 + 600, calls=[("start_data_export", f"call_{sid}_1", {"customer_id": cust})])
        t = w.quick(sess, "start_data_export", f"call_{sid}_1", {"customer_id": cust}, t + 5,
                    {"operation_id": op, "status": "running"}, http_status=202)
        w.log(t + 1500, "job.poll", sess, job_id=op, status="running")
        w.log(t + 4000, "job.completed", sess, job_id=op, status="completed",
              result={"url": f"https://exports.example/{op}.zip"})
        t += 4010
        ans = f"Your export is ready: https://exports.example/{op}.zip"
    elif kind == 6:  # a transient 503 on a charge, retried with the same idempotency key
        inv = f"INV-{r.randint(1000, 9999)}"
        key = f"idem-{r.randint(10**8, 10**9)}"
        sess = w.open(sid, t0, f"Please pay invoice {inv} with my card on file.")
        cid = f"call_{sid}_1"
        args = {"invoice_id": inv, "method": "card_on_file"}
        t = w.chat(sess, t0 + 20, t0 + 600, calls=[("charge_card", cid, args)])
        t = w.call(sess, "charge_card", cid, args, t + 5, (t + 30, t + 2100), result={"paid": True}, key=key,
                   gives_up="timeout", give_up_ms=t + 2000, server_status="cancelled",
                   server_error="client closed request", deliver=False)
        t = w.call(sess, "charge_card", cid, args, t + 400, (t + 430, t + 800), result={"paid": True, "receipt": "RC-1"},
                   key=key, attempt=2, retry=True)
        ans = f"Invoice {inv} is paid; your receipt is RC-1."
    elif kind == 7:  # the answer states today's date correctly
        sess = w.open(sid, t0, "What's today's date and is my trial still active?")
        t = w.chat(sess, t0 + 20, t0 + 600, calls=[("lookup_customer", f"call_{sid}_1", {"customer_id": "C-77"})])
        t = w.quick(sess, "lookup_customer", f"call_{sid}_1", {"customer_id": "C-77"}, t + 5,
                    {"customer_id": "C-77", "trial_ends": "2026-12-31"})
        today = dt.datetime.fromtimestamp(ns_at(t) / 1e9, tz=dt.timezone.utc)
        ans = f"Today is {today:%A, %d %B %Y}; your trial is active until 2026-12-31."
    elif kind == 8:  # a refund that needs approval, granted after 20 s
        order = f"NW-{r.randint(10000, 99999)}"
        sess = w.open(sid, t0, f"Refund order {order}, it arrived broken.")
        cid = f"call_{sid}_1"
        args = {"order_id": order, "amount_eur": 35.0}
        t = w.chat(sess, t0 + 20, t0 + 600, calls=[("refund_payment", cid, args)])
        w.log(t + 3, "approval.request", sess, step=sess.step, tool="refund_payment", tool_call_id=cid,
              waiting_for="approvals:refunds")
        w.log(t + 20_000, "approval.grant", sess.sid, agent="refund-approver", step=sess.step, tool="refund_payment",
              tool_call_id=cid, waiting_for="approvals:refunds", status="ok")
        t = w.quick(sess, "refund_payment", cid, args, t + 20_010, {"refund_id": f"RF-{order[-4:]}", "status": "done"},
                    key=f"rf-{order}")
        ans = f"Refund RF-{order[-4:]} for order {order} is done."
    elif kind == 9:  # a guarded read-modify-write of the customer's preferences
        cust = f"C-{r.randint(100, 999)}"
        sess = w.open(sid, t0, "Switch my newsletter off.")
        w.log(t0 + 100, "state.read", sess, resource=f"prefs:{cust}", version=3)
        w.log(t0 + 400, "state.write", sess, resource=f"prefs:{cust}", version=4, expected_version=3, status="ok")
        t = w.chat(sess, t0 + 20, t0 + 600, calls=[("lookup_customer", f"call_{sid}_1", {"customer_id": cust})])
        t = w.quick(sess, "lookup_customer", f"call_{sid}_1", {"customer_id": cust}, t + 5, {"customer_id": cust})
        ans = "Done, the newsletter is off."
    elif kind == 10:  # a long chat: the harness trims old tool results, the latest one stays
        sess = w.open(sid, t0, "Check my three latest orders.")
        t = t0 + 20
        ids = []
        for j in range(3):
            cid = f"call_{sid}_{j}"
            ids.append(cid)
            o = f"NW-{r.randint(10000, 99999)}"
            t = w.chat(sess, t, t + 500, calls=[("lookup_order", cid, {"order_id": o})])
            t = w.quick(sess, "lookup_order", cid, {"order_id": o}, t + 5, {"order_id": o, "status": "delivered"})
        w.log(t + 3, "context.truncate", sess, step=sess.step + 1, dropped_tool_call_ids=ids[:2],
              reason="token budget")
        sess.messages[:] = [m for m in sess.messages
                            if not (m["role"] == "tool" and m["parts"][0]["id"] in ids[:2])]
        ans = "All three orders are delivered."
    elif kind == 11:  # three parallel lookups, all delivered (one result re-serialized by the harness)
        sess = w.open(sid, t0, "Summarize my account.")
        calls = [("lookup_customer", f"call_{sid}_1", {"customer_id": "C-5"}),
                 ("get_invoice", f"call_{sid}_2", {"customer_id": "C-5", "which": "last"}),
                 ("find_tickets", f"call_{sid}_3", {"customer_id": "C-5", "status": "open"})]
        t = w.chat(sess, t0 + 20, t0 + 700, calls=calls)
        bodies = [{"customer_id": "C-5", "plan": "Team"}, {"invoice_id": "INV-1", "total_eur": 12.0}, {"tickets": []}]
        ends = [w.quick(sess, n, c, a, t + 5 + 2 * j, b) for j, ((n, c, a), b) in enumerate(zip(calls, bodies))]
        sess.messages[-2] = result_msg(calls[1][1], json.dumps(bodies[1], indent=2))
        t = max(ends)
        ans = "You're on the Team plan; your last invoice was EUR 12.0 and you have no open tickets."
    elif kind == 12:  # put a PO number on an invoice: read it, then update it (customers share a pool)
        cust = f"C-{r.randint(10, 13)}"
        inv = f"INV-{r.randint(1000, 9999)}"
        po = f"PO-{r.randint(100, 999)}"
        sess = w.open(sid, t0, f"Please add {po} to invoice {inv}.")
        rd = {"customer_id": cust, "invoice_id": inv}
        t = w.chat(sess, t0 + 20, t0 + 500, calls=[("get_invoice", f"call_{sid}_1", rd)])
        t = w.quick(sess, "get_invoice", f"call_{sid}_1", rd, t + 5, dict(rd, po_number=None, total_eur=99.0))
        wr = dict(rd, po_number=po)
        t = w.chat(sess, t + 10, t + 3000, calls=[("update_invoice", f"call_{sid}_2", wr)])
        t = w.quick(sess, "update_invoice", f"call_{sid}_2", wr, t + 5, dict(wr, total_eur=99.0))
        ans = f"Done: invoice {inv} now carries {po}."
    else:
        tck = f"TCK-{r.randint(1000, 9999)}"
        sess = w.open(sid, t0, f"Any update on ticket {tck}?")
        t = w.chat(sess, t0 + 20, t0 + 20 + r.uniform(500, 900), calls=[("get_ticket", f"call_{sid}_1", {"ticket_id": tck})])
        body = {"ticket_id": tck, "state": "in_progress", "assignee": r.choice(["Mira", "Jonas", "Aiko"]),
                "updated": "2026-11-26T16:20:00Z"}
        t = w.quick(sess, "get_ticket", f"call_{sid}_1", {"ticket_id": tck}, t + 5, body)
        t = w.chat(sess, t + 10, t + 10 + r.uniform(400, 700),
                   calls=[("search_kb", f"call_{sid}_2", {"query": "ticket escalation policy"})])
        kb = {"articles": [{"id": "KB-12", "title": "Escalation policy", "sla_hours": 48}]}
        t = w.quick(sess, "search_kb", f"call_{sid}_2", {"query": "ticket escalation policy"}, t + 5, kb)
        ans = f"Ticket {tck} is in progress with {body['assignee']}; per KB-12 escalations are answered within 48 hours."
    t = w.chat(sess, t + 10, t + 10 + r.uniform(700, 1300), text=ans)
    w.close(sess, t + 15, ans)
    return t + 15


# ============================================================================================
# Planted incidents and near misses (each returns its end time)
# ============================================================================================


def lead_in(w: World, sess: Sess, t: float, n: int = 2) -> float:
    """A first step with clean lookups (the clock's anchors)."""
    calls = [("lookup_customer", f"call_{sess.sid}_w{i}", {"customer_id": f"C-{300 + i}"}) for i in range(n)]
    t = w.chat(sess, t, t + 600, calls=calls)
    end = t
    for i, (name, cid, args) in enumerate(calls):
        end = max(end, w.quick(sess, name, cid, args, t + 5 + 3 * i, {"customer_id": args["customer_id"], "tier": "silver"}))
    return end


def seam001(w: World, t: float) -> float:
    cases = [
        # (form, tool, args, result shape, http, answer, fire)
        ("empty-string-kb", "search_kb", {"query": "SSO login loop after password reset"}, "", 200,
         "This is a known issue fixed in release 4.18.2: clear the sso_state cookie and sign in again within "
         "15 minutes.", True),
        ("error-object-http-200", "get_invoice", {"invoice_id": "INV-3321"},
         {"error": {"code": "INVOICE_NOT_FOUND", "message": "no invoice INV-3321"}}, 200,
         "Invoice INV-3321 was issued on 12 October 2026 for EUR 1,240.00 and was paid by card on 19 October.", True),
        ("empty-object-plan", "lookup_customer", {"customer_id": "C-7781"}, {}, 200,
         "You're on the Business plan with 25 seats, renewing on 14 January 2027 at EUR 590 per month.", True),
        ("wrapped-null-data", "get_warranty", {"serial": "SN-88124"}, {"result": None}, 200,
         "Good news: serial SN-88124 is covered until 30 June 2028, including accidental damage (plan WX-3).", True),
        ("null-ticket", "get_ticket", {"ticket_id": "TCK-5150"}, None, 200,
         "Ticket TCK-5150 was resolved by Priya on 3 November; the root cause was a stale DNS record on mx2.", True),
        ("empty-list-orders", "lookup_order", {"order_id": "NW-44120"}, [], 200,
         "Order NW-44120 left our Rotterdam warehouse on 24 November and PostNord will deliver it on 2 December.",
         True),
        ("graphql-errors-http-200", "query_account", {"account": "AC-1"},
         {"data": None, "errors": [{"message": "Account AC-1 not found", "path": ["account"]}]}, 200,
         "Account AC-1 belongs to Heinz Logistik GmbH in Bremen and has 12 active users.", True),
        ("status-error-envelope", "get_warranty", {"serial": "SN-3131"},
         {"status": "error", "message": "warranty service unavailable"}, 200,
         "Your warranty is valid until 2027-05-31 and includes on-site repair within 2 business days.", True),
        ("python-none-string", "get_ticket", {"ticket_id": "TCK-6200"}, "None", 200,
         "Ticket TCK-6200 is assigned to Olaf Berg and is due on 4 December.", True),
        ("names-only-claims", "lookup_customer", {"customer_id": "C-9"}, {}, 200,
         "Your account manager is Sarah Klein from our Hamburg office.", True),
        ("near-asks-a-question", "lookup_order", {"order_id": "NW-1"}, None, 200,
         "Could you tell me the order number from your confirmation e-mail?", False),
        ("near-it-appears-none", "find_tickets", {"customer_id": "C-77", "status": "open"}, [], 200,
         "It appears there are no open tickets on your account at the moment.", False),
        ("near-claims-from-earlier-result", "get_invoice", {"customer_id": "C-300", "which": "last"}, None, 200,
         "Customer C-300 is on the silver tier.", False),
        ("near-says-not-found", "get_invoice", {"invoice_id": "INV-9001"},
         {"error": {"code": "INVOICE_NOT_FOUND", "message": "no invoice INV-9001"}}, 200,
         "I couldn't find an invoice with the number INV-9001 in our billing system. Could you double-check the "
         "number, or send me the e-mail address the invoice went to?", False),
        ("near-hedged-empty", "search_kb", {"query": "export to SAP"}, [], 200,
         "Unfortunately our knowledge base has nothing on SAP exports yet, so I can't point you to a guide. I've "
         "noted the request for the docs team.", False),
        ("near-unknown-warranty", "get_warranty", {"serial": "SN-10001"}, None, 200,
         "The warranty lookup for SN-10001 came back empty, so I can't confirm the coverage. Please check the "
         "serial number on the back of the device.", False),
        ("near-user-specifics", "lookup_order", {"order_id": "NW-55012"}, {}, 200,
         "Thanks. I've noted that order NW-55012 with 3 items placed on 2 November should be re-sent to your new "
         "address, as you asked.", False),
    ]
    prompts = {"near-user-specifics": "My order NW-55012 with 3 items placed on 2 November: please re-send it to my new "
                                      "address."}
    for i, (form, tool, args, body, http, answer, fire) in enumerate(cases):
        sid = f"sup-{'n' if not fire else 'f'}001-{i:02d}"
        sess = w.open(sid, t, prompts.get(form, f"Please check this for me: {json.dumps(args)}"))
        tt = lead_in(w, sess, t + 20)
        cid = f"call_{sid}_q"
        tt = w.chat(sess, tt + 10, tt + 700, calls=[(tool, cid, args)])
        tt = w.quick(sess, tool, cid, args, tt + 5, body, http_status=http)
        tt = w.chat(sess, tt + 10, tt + 1200, text=answer)
        w.close(sess, tt + 15, answer)
        (w.incident if fire else w.near)("SEAM001", form, sid)
        t = tt + 30_000
    # visible only in the OTLP layer: no gateway in front of this agent (direct tool calls)
    sid = "sup-f001-otlp-only"
    sess = w.open(sid, t, "What does my contract say about early termination?")
    tt = w.chat(sess, t + 20, t + 600, calls=[("search_kb", f"call_{sid}_q", {"query": "contract early termination"})],
                harness=False)
    tt = w.call(sess, "search_kb", f"call_{sid}_q", {"query": "contract early termination"}, tt + 5,
                (tt + 30, tt + 200), result={"hits": []}, harness=False)
    answer = "Early termination costs 3 monthly fees, payable within 30 days, as per section 11.4 of your contract."
    tt = w.chat(sess, tt + 10, tt + 900, text=answer, harness=False)
    w.close(sess, tt + 10, answer)
    w.incident("SEAM001", "otlp-only-hits-empty", sid)
    t = tt + 30_000
    # the tool failed outright (HTTP 500, status error) and the answer invents a balance
    sid = "sup-f001-error-status"
    sess = w.open(sid, t, "What's my current balance?")
    tt = lead_in(w, sess, t + 20)
    cid = f"call_{sid}_b"
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("get_balance", cid, {"customer_id": "C-300"})])
    tt = w.call(sess, "get_balance", cid, {"customer_id": "C-300"}, tt + 5, (tt + 30, tt + 120),
                result={"error": "ledger timeout"}, http_status=500, server_error="HTTP 500: ledger timeout")
    answer = "Your current balance is EUR 1,204.55, with the next charge of EUR 89.00 on 1 December."
    tt = w.chat(sess, tt + 10, tt + 900, text=answer)
    w.close(sess, tt + 10, answer)
    w.incident("SEAM001", "error-status-500-invented-balance", sid)
    return tt + 30_000


def seam002(w: World, t: float) -> float:
    # (form, tool, wait_ms, server end after give-up (ms, true time), how, server_status, harness, fire)
    cases = [
        ("harness-timeout-export", "export_audit_log", 8000, 1200, "timeout", "ok", True, True),
        ("harness-cancel-user-left", "generate_statement", 3000, 2500, "cancelled", "ok", True, True),
        ("aligned-only-crm-behind", "find_tickets", 6000, 150, "timeout", "ok", True, True),
        ("agent-cancel-otlp-only", "generate_statement", 4000, 900, "cancelled", "ok", False, True),
        ("harness-timeout-server-no-call-id", "generate_statement", 7000, 2000, "timeout", "nocid", True, True),
        ("near-tool-cancelled-too", "export_audit_log", 5000, 300, "timeout", "cancelled", True, False),
        ("near-raw-clock-billing-ahead", "generate_statement", 6000, -200, "timeout", "ok", True, False),
        ("near-ended-without-result", "export_audit_log", 5000, 600, "timeout", "no_result", True, False),
    ]
    for i, (form, tool, wait, after, how, server_status, harness, fire) in enumerate(cases):
        sid = f"ops-{'f' if fire else 'n'}002-{i:02d}"
        sess = w.open(sid, t, "I need last month's statement for account AC-2231.")
        tt = lead_in(w, sess, t + 20, n=3)
        cid = f"call_{sid}_x"
        args = {"account_id": "AC-2231", "month": "2026-10"}
        tt = w.chat(sess, tt + 10, tt + 700, calls=[(tool, cid, args)], harness=harness)
        start = tt + 5
        give_up = start + wait
        nocid = server_status == "nocid"
        server_status = "ok" if nocid else server_status
        w.call(sess, tool, cid, args, start, (start + 30, give_up + after), result={"url": "https://files.example/s.pdf"},
               gives_up=how, give_up_ms=give_up, server_status=server_status, harness=harness, server_call_id=not nocid,
               server_error="client closed request" if server_status == "cancelled" else None, deliver=False)
        ans = "The statement service did not answer in time; please try again in a few minutes."
        tt = w.chat(sess, give_up + 30, give_up + 800, text=ans, harness=harness)
        w.close(sess, tt + 4000, ans)
        (w.incident if fire else w.near)("SEAM002", form, sid)
        t = tt + 40_000
    # a hedged retry while attempt 1 still runs (the gateway's hedging, no give-up event)
    for i, (form, overlap, fire) in enumerate([("hedged-retry-overlap", 900, True),
                                               ("near-retry-after-503", -300, False)]):
        sid = f"ops-{'f' if fire else 'n'}002-r{i}"
        sess = w.open(sid, t, "Show me the usage report for workspace W-19.")
        tt = lead_in(w, sess, t + 20, n=3)
        cid = f"call_{sid}_u"
        args = {"workspace": "W-19", "period": "30d"}
        tt = w.chat(sess, tt + 10, tt + 600, calls=[("fetch_usage_report", cid, args)])
        a1 = tt + 5
        retry_at = a1 + 2500
        body = {"workspace": "W-19", "api_calls": 182004, "storage_gb": 41.2}
        if fire:
            w.call(sess, "fetch_usage_report", cid, args, a1, (a1 + 25, retry_at + overlap), result=body,
                   harness_result=False, deliver=False)
        else:
            w.call(sess, "fetch_usage_report", cid, args, a1, (a1 + 25, retry_at + overlap), result=None,
                   http_status=503, server_status="error", server_error="upstream unavailable", deliver=False)
        tt = w.call(sess, "fetch_usage_report", cid, args, retry_at, (retry_at + 20, retry_at + 500), result=body,
                    attempt=2, retry=True)
        ans = "Workspace W-19 made 182004 API calls in the last 30 days and stores 41.2 GB."
        tt = w.chat(sess, tt + 10, tt + 900, text=ans)
        w.close(sess, tt + 10, ans)
        (w.incident if fire else w.near)("SEAM002", form, sid)
        t = tt + 40_000
    return t


def seam003(w: World, t: float) -> float:
    cases = [
        # form, tool, args1, (http, body1, error), args2, body2, fire
        ("http-400-bad-email", "update_contact", {"customer_id": "C-120", "email": "ana at example.com"},
         (400, {"error": "invalid_request", "detail": "email: not a valid address"}, "HTTP 400: email: not a valid address"),
         {"customer_id": "C-120", "email": "ana@example.com"}, {"customer_id": "C-120", "email": "ana@example.com",
                                                                "updated": True}, True),
        ("http-422-enum", "find_tickets", {"status": "opened", "limit": 20},
         (422, {"detail": [{"loc": ["body", "status"], "msg": "value is not a valid enumeration member; permitted: "
                                                               "'open', 'closed'"}]}, "HTTP 422 Unprocessable Entity"),
         {"status": "open", "limit": 20}, {"tickets": [{"id": "TCK-2001"}, {"id": "TCK-2002"}]}, True),
        ("schema-error-no-http", "get_invoice", {"invoice_id": 3321},
         (None, None, "schema validation failed: invoice_id must be a string"),
         {"invoice_id": "INV-3321"}, {"invoice_id": "INV-3321", "total_eur": 77.0}, True),
        ("invalid-arg-in-200-body", "book_callback", {"customer_id": "C-3", "date": "next tuesday"},
         (200, {"ok": False, "error": "invalid argument 'date': expected YYYY-MM-DD"},
          "invalid argument 'date': expected YYYY-MM-DD"),
         {"customer_id": "C-3", "date": "2026-12-01"}, {"ok": True, "callback_id": "CB-1"}, True),
        ("near-500-then-other-page", "find_tickets", {"status": "open", "page": 2},
         (500, {"error": "internal error"}, "HTTP 500 Internal Server Error"),
         {"status": "open", "page": 1}, {"tickets": [{"id": "TCK-3002"}]}, False),
        ("near-502-same-args", "find_tickets", {"status": "open", "limit": 10},
         (502, {"error": "bad gateway"}, "HTTP 502 Bad Gateway"),
         {"status": "open", "limit": 10}, {"tickets": [{"id": "TCK-3001"}]}, False),
        ("near-429-same-args", "get_invoice", {"invoice_id": "INV-4410"},
         (429, {"error": "rate_limited", "retry_after_s": 1}, "HTTP 429 Too Many Requests"),
         {"invoice_id": "INV-4410"}, {"invoice_id": "INV-4410", "total_eur": 12.5}, False),
    ]
    for i, (form, tool, a1, (http, b1, err), a2, b2, fire) in enumerate(cases):
        sid = f"sup-{'f' if fire else 'n'}003-{i:02d}"
        sess = w.open(sid, t, "Please sort this out for me.")
        tt = lead_in(w, sess, t + 20)
        c1, c2 = f"call_{sid}_a", f"call_{sid}_b"
        tt = w.chat(sess, tt + 10, tt + 600, calls=[(tool, c1, a1)])
        if http is None:  # the gateway's schema check refused it before any request was sent
            tt = w.call(sess, tool, c1, a1, tt + 5, None, result=None, caller_status="error", caller_error=err)
        elif http == 200:  # the tool answered 200 with an error body; the gateway logged the error
            tt = w.call(sess, tool, c1, a1, tt + 5, (tt + 30, tt + 90), result=b1, http_status=http,
                        caller_status="error", caller_error=err)
        else:
            tt = w.call(sess, tool, c1, a1, tt + 5, (tt + 30, tt + 90), result=b1, http_status=http,
                        server_error=err, caller_error=err, deliver=fire)  # a gateway retry delivers attempt 2 only
        same_call = not fire
        cid2 = c1 if same_call else c2
        if same_call:
            tt = w.call(sess, tool, c1, a2, tt + 1000, (tt + 1030, tt + 1200), result=b2, attempt=2, retry=True)
        else:
            tt = w.chat(sess, tt + 10, tt + 600, calls=[(tool, c2, a2)])
            tt = w.quick(sess, tool, c2, a2, tt + 5, b2)
        ans = "Done: " + json.dumps(b2)
        tt = w.chat(sess, tt + 10, tt + 800, text=ans)
        w.close(sess, tt + 10, ans)
        (w.incident if fire else w.near)("SEAM003", form, sid)
        del cid2
        t = tt + 30_000
    # OTLP only: the agent's own client span records the 400 (no gateway)
    sid = "sup-f003-otlp-only"
    sess = w.open(sid, t, "Move my renewal date to the 1st.")
    a1 = {"customer_id": "C-88", "renewal_day": 0}
    a2 = {"customer_id": "C-88", "renewal_day": 1}
    tt = w.chat(sess, t + 20, t + 600, calls=[("update_contact", f"call_{sid}_a", a1)], harness=False)
    tt = w.call(sess, "update_contact", f"call_{sid}_a", a1, tt + 5, (tt + 30, tt + 80),
                result={"error": "renewal_day must be between 1 and 28"}, http_status=400, harness=False,
                server_error="HTTP 400: renewal_day must be between 1 and 28")
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("update_contact", f"call_{sid}_b", a2)], harness=False)
    tt = w.call(sess, "update_contact", f"call_{sid}_b", a2, tt + 5, (tt + 30, tt + 90),
                result={"customer_id": "C-88", "renewal_day": 1}, harness=False)
    ans = "Your renewal date is now the 1st of each month."
    tt = w.chat(sess, tt + 10, tt + 700, text=ans, harness=False)
    w.close(sess, tt + 10, ans)
    w.incident("SEAM003", "otlp-only-400-then-fixed", sid)
    # near: a timeout, then the very same call succeeds
    sid = "sup-n003-timeout-same"
    sess = w.open(sid, t + 30_000, "Look up ticket TCK-7000.")
    tt = lead_in(w, sess, t + 30_020)
    args = {"ticket_id": "TCK-7000"}
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("get_ticket", f"call_{sid}_a", args)])
    w.call(sess, "get_ticket", f"call_{sid}_a", args, tt + 5, (tt + 30, tt + 7000), result=None,
           server_status="cancelled", server_error="client closed request", gives_up="timeout", give_up_ms=tt + 6000,
           deliver=False)
    tt = w.call(sess, "get_ticket", f"call_{sid}_a", args, tt + 7100, (tt + 7130, tt + 7300),
                result={"ticket_id": "TCK-7000", "state": "closed"}, attempt=2, retry=True)
    ans = "Ticket TCK-7000 is closed."
    tt = w.chat(sess, tt + 10, tt + 600, text=ans)
    w.close(sess, tt + 10, ans)
    w.near("SEAM003", "timeout-then-same-call", sid)
    return tt + 30_000


def seam004(w: World, t: float) -> float:
    cases = [
        ("op-id-202-claims-done", "start_data_export", {"customer_id": "C-55", "format": "csv"}, 202,
         {"operation": {"operation_id": "op-5521", "status": "accepted"}},
         "Your data export is complete and has been e-mailed to you as a CSV file.", "none", True),
        ("task-id-pending-ignored", "recalculate_invoice", {"invoice_id": "INV-7000"}, 200,
         {"task_id": "t-90211", "state": "pending", "eta_s": 40},
         "Thanks! Anything else I can help with today?", "none", True),
        ("harness-job-submitted-reindex", "reindex_mailbox", {"mailbox": "support@acme.example"}, 200,
         {"accepted": True}, "The mailbox has been reindexed; search should work again.", "harness", True),
        ("camelcase-jobid-queued", "rebuild_search_index", {"index": "kb-en"}, 202,
         {"jobId": "j-7d1e", "state": "QUEUED"}, "The search index has been rebuilt.", "none", True),
        ("deep-nested-task", "recalculate_invoice", {"invoice_id": "INV-7100"}, 200,
         {"data": {"type": "recalc", "attributes": {"task_id": "t-555", "status": "pending"}}},
         "All set, the invoice totals are updated.", "none", True),
        ("near-finished-immediately", "recalculate_invoice", {"invoice_id": "INV-7101"}, 200,
         {"task_id": "t-556", "status": "succeeded", "total_eur": 88.0},
         "The invoice INV-7101 now totals EUR 88.0.", "none", False),
        ("near-polled-running-then-done", "start_data_export", {"customer_id": "C-56", "format": "json"}, 202,
         {"operation": {"operation_id": "op-5522", "status": "accepted"}},
         "Your export is ready: https://exports.example/op-5522.json", "poll", False),
        ("near-passed-to-status-tool", "recalculate_invoice", {"invoice_id": "INV-7001"}, 200,
         {"task_id": "t-90212", "state": "queued"}, "The recalculated invoice INV-7001 is ready.", "tool", False),
        ("near-told-user-pending", "start_data_export", {"customer_id": "C-57", "format": "csv"}, 202,
         {"operation": {"operation_id": "op-5523", "status": "accepted"}},
         "I've started your export (operation op-5523). It is still running; you'll get an e-mail once it finishes.",
         "user", False),
        ("near-callback-received", "recalculate_invoice", {"invoice_id": "INV-7002"}, 200,
         {"task_id": "t-90213", "state": "pending"}, "The invoice INV-7002 was recalculated.", "callback", False),
    ]
    for i, (form, tool, args, http, body, answer, follow, fire) in enumerate(cases):
        sid = f"ops-{'f' if fire else 'n'}004-{i:02d}"
        sess = w.open(sid, t, "Please run this for me: " + json.dumps(args))
        tt = lead_in(w, sess, t + 20)
        cid = f"call_{sid}_j"
        tt = w.chat(sess, tt + 10, tt + 600, calls=[(tool, cid, args)])
        tt = w.quick(sess, tool, cid, args, tt + 5, body, http_status=http)
        handle = json.dumps(body)
        if follow == "harness":
            w.log(tt + 3, "job.submitted", sess, step=sess.step, tool=tool, tool_call_id=cid, job_id="job-rx-311",
                  status="queued")
        elif follow == "poll":
            hid = "op-5522"
            w.log(tt + 2000, "job.poll", sess, job_id=hid, status="running")
            w.log(tt + 6000, "job.poll", sess, job_id=hid, status="running")
            w.log(tt + 12000, "job.completed", sess, job_id=hid, status="succeeded",
                  result={"url": "https://exports.example/op-5522.json"})
            tt += 12050
        elif follow == "tool":
            c2 = f"call_{sid}_s"
            tt = w.chat(sess, tt + 3000, tt + 3500, calls=[("get_task_status", c2, {"task_id": "t-90212"})])
            tt = w.quick(sess, "get_task_status", c2, {"task_id": "t-90212"}, tt + 5,
                         {"task_id": "t-90212", "state": "succeeded"})
        elif follow == "callback":
            w.log(tt + 4000, "callback.received", sess, job_id="t-90213", status="succeeded",
                  result={"invoice_id": "INV-7002", "total_eur": 410.0})
            tt += 4050
        del handle
        tt = w.chat(sess, tt + 10, tt + 900, text=answer)
        w.close(sess, tt + 10, answer)
        (w.incident if fire else w.near)("SEAM004", form, sid)
        t = tt + 30_000
    return t


def seam005(w: World, t: float, clean: bool) -> float:
    """Dataset-level chains: agents with `deadline_ms` on every session."""
    def chain(agent: str, runs: int, deadline: float, slow: set[int], base_tool_ms: float, t: float) -> float:
        for k in range(runs):
            sid = f"{agent}-{k:03d}"
            sess = w.open(sid, t, f"Statement question #{k}", agent=agent, deadline_ms=deadline)
            tt = w.chat(sess, t + 15, t + 15 + w.rng.uniform(650, 850), calls=[("get_invoice", f"call_{sid}", {"n": k})])
            work = base_tool_ms * w.rng.uniform(0.8, 1.2) + (deadline if k in slow else 0)
            s0 = tt + 20
            tt = w.call(sess, "get_invoice", f"call_{sid}", {"n": k}, tt + 5, (s0, s0 + work),
                        result={"n": k, "total_eur": 10 + k})
            ans = f"Statement #{k} totals EUR {10 + k}."
            tt = w.chat(sess, tt + 10, tt + w.rng.uniform(650, 850), text=ans)
            w.close(sess, tt + 10, ans)
            t += 9_000
        return t
    start = t
    # billing-assistant: p50 sum ~2 s of a 5 s budget; 4 of 60 runs go over (6.7 %)
    t = chain("billing-assistant", 60, 5000, set() if clean else {7, 23, 41, 52}, 350, t)
    if not clean:
        t2 = start + 4_000
        for k in range(70):
            sid = f"kb-research-{k:03d}"
            sess = w.open(sid, t2, f"Research question #{k}", agent="kb-research", deadline_ms=6000)
            tt = w.chat(sess, t2 + 15, t2 + 15 + w.rng.uniform(600, 800),
                        calls=[("search_kb", f"call_{sid}_a", {"q": k}), ("lookup_customer", f"call_{sid}_b", {"n": k})])
            e1 = w.quick(sess, "search_kb", f"call_{sid}_a", {"q": k}, tt + 5, {"articles": [{"id": f"KB-{k}"}]})
            e2 = w.quick(sess, "lookup_customer", f"call_{sid}_b", {"n": k}, tt + 8, {"customer_id": f"C-{k}"})
            slow = 4500 if k in (11, 38, 59) else 0
            ans = f"See KB-{k}."
            tt = w.chat(sess, max(e1, e2) + 10, max(e1, e2) + w.rng.uniform(900, 1200) + slow, text=ans)
            w.close(sess, tt + 10, ans)
            t2 += 9_000
        w.incident("SEAM005", "model-hop-tail-3-of-70", None, subject="kb-research")
        # loyalty-agent: 3 of 40 runs over budget, but 40 runs are too few to call it a chain's tail
        t = chain("loyalty-agent", 40, 5000, {5, 19, 33}, 350, start + 6_000)
        w.near("SEAM005", "tail-below-min-runs", None, subject="loyalty-agent")
    if not clean:
        w.incident("SEAM005", "tail-4-of-60", None, subject="billing-assistant")
        # returns-agent: 1 of 120 over budget (0.8 %): rare, within the share
        t = chain("returns-agent", 120, 5000, {64}, 300, start + 1_000)
        w.near("SEAM005", "rare-1-of-120", None, subject="returns-agent")
        # audit-agent: its p50 sum already exceeds the 1.5 s budget (capacity)
        t = chain("audit-agent", 55, 1500, set(), 400, start + 2_000)
        w.near("SEAM005", "capacity", None, subject="audit-agent")
    return t


def seam006(w: World, t: float) -> float:
    cases = [
        # form, tool, keys (attempt 1, 2), attempt-1 outcome, fire
        ("response-lost-create-ticket", "create_ticket", (None, None), "lost", True),
        ("fresh-key-after-502-charge", "charge_card", ("k-aa11", "k-bb22"), "502-after-write", True),
        ("camelcase-issueRefund-lost", "issueRefund", (None, None), "lost", True),
        ("grpc-service-no-http-status", "submit_claim", (None, None), "lost-grpc", True),
        ("near-same-key-in-args", "create_ticket", ("args", "args"), "lost", False),
        ("near-same-key-transfer", "transfer_funds", ("tx-7781", "tx-7781"), "lost", False),
        ("near-conn-refused-send", "send_email", (None, None), "refused", False),
        ("near-read-only-retried", "get_invoice", (None, None), "lost", False),
        ("near-409-duplicate-refused", "create_ticket", (None, None), "409", False),
    ]
    for i, (form, tool, keys, first, fire) in enumerate(cases):
        sid = f"ops-{'f' if fire else 'n'}006-{i:02d}"
        sess = w.open(sid, t, "Please take care of it.")
        tt = lead_in(w, sess, t + 20, n=3)
        cid = f"call_{sid}_p"
        args = {"customer_id": "C-900", "amount_eur": 49.0, "subject": "Duplicate charge"}
        if keys[0] == "args":  # the key travels inside the arguments, the same on every attempt
            args["idempotency_key"] = f"ik-{sid}"
            keys = (None, None)
        tt = w.chat(sess, tt + 10, tt + 600, calls=[(tool, cid, args)])
        a1 = tt + 5
        body = {"id": f"R-{1000 + i}", "ok": True}
        grpc = first == "lost-grpc"
        if grpc:
            first = "lost"
        if first == "lost":
            w.call(sess, tool, cid, args, a1, (a1 + 30, a1 + 9000), result=body, key=keys[0], gives_up="timeout",
                   give_up_ms=a1 + 8000, deliver=False, http_attr=not grpc)
            if tool != "get_invoice" or True:
                w.allow("SEAM002", sid, "attempt 1's response was lost: the gateway gave up while the tool went on")
            a2 = a1 + 9500
        elif first == "502-after-write":
            w.call(sess, tool, cid, args, a1, (a1 + 30, a1 + 400), result=None, http_status=502, key=keys[0],
                   server_status="ok", server_error="HTTP 502 from upstream after commit", deliver=False)
            a2 = a1 + 1500
        elif first == "refused":
            w.call(sess, tool, cid, args, a1, None, result=None, caller_status="error",
                   caller_error="connect ECONNREFUSED 10.2.0.14:443", deliver=False)
            a2 = a1 + 800
        else:  # 409 on the second attempt: the tool recognised the duplicate
            w.call(sess, tool, cid, args, a1, (a1 + 30, a1 + 9000), result=body, gives_up="timeout",
                   give_up_ms=a1 + 8000, deliver=False)
            w.allow("SEAM002", sid, "attempt 1's response was lost: the gateway gave up while the tool went on")
            a2 = a1 + 9500
        if first == "409":
            tt = w.call(sess, tool, cid, args, a2, (a2 + 25, a2 + 90), result={"error": "duplicate request"},
                        http_status=409, attempt=2, retry=True, server_error="HTTP 409 Conflict: duplicate")
        else:
            tt = w.call(sess, tool, cid, args, a2, (a2 + 25, a2 + 300), result=body, attempt=2, retry=True,
                        key=keys[1], http_attr=not grpc)
        ans = "It's done."
        tt = w.chat(sess, tt + 10, tt + 600, text=ans)
        w.close(sess, tt + 10, ans)
        (w.incident if fire else w.near)("SEAM006", form, sid)
        t = tt + 30_000
    # the model re-issued the call (a new call id, same arguments) after the gateway reported a timeout
    sid = "ops-f006-model-reissue"
    sess = w.open(sid, t, "Book a courier pickup for tomorrow.")
    tt = lead_in(w, sess, t + 20, n=3)
    args = {"address": "Storgata 1, Oslo", "date": "2026-11-28", "parcels": 2}
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("book_pickup", f"call_{sid}_1", args)])
    a1 = tt + 5
    w.call(sess, "book_pickup", f"call_{sid}_1", args, a1, (a1 + 30, a1 + 8600), result={"pickup_id": "PK-1"},
           gives_up="timeout", give_up_ms=a1 + 8000)
    sess.messages.append(result_msg(f"call_{sid}_1", {"error": "timed out after 8000 ms"}))
    w.allow("SEAM002", sid, "the gateway gave up on the first call while the tool went on")
    tt = w.chat(sess, a1 + 8010, a1 + 8600, calls=[("book_pickup", f"call_{sid}_2", args)])
    tt = w.quick(sess, "book_pickup", f"call_{sid}_2", args, tt + 5, {"pickup_id": "PK-2"})
    ans = "Your pickup PK-2 is booked for 2026-11-28."
    tt = w.chat(sess, tt + 10, tt + 600, text=ans)
    w.close(sess, tt + 10, ans)
    w.incident("SEAM006", "model-reissued-new-call-id", sid)
    t = tt + 30_000
    # OTLP only: the agent retried send_email itself (no gateway); both reached the tool, no key
    sid = "ops-f006-otlp-only"
    sess = w.open(sid, t, "Send the invoice to the customer again.")
    args = {"to": "bo@example.com", "template": "invoice", "invoice_id": "INV-8120"}
    tt = w.chat(sess, t + 20, t + 600, calls=[("send_invoice_email", f"call_{sid}_m", args)], harness=False)
    a1 = tt + 5
    w.call(sess, "send_invoice_email", f"call_{sid}_m", args, a1, (a1 + 30, a1 + 6500), result={"message_id": "m-1"},
           harness=False, gives_up="timeout", give_up_ms=a1 + 5000, deliver=False)
    tt = w.call(sess, "send_invoice_email", f"call_{sid}_m", args, a1 + 5100, (a1 + 5130, a1 + 5400),
                result={"message_id": "m-2"}, harness=False, attempt=2)
    ans = "The invoice e-mail is on its way."
    tt = w.chat(sess, tt + 10, tt + 600, text=ans, harness=False)
    w.close(sess, tt + 10, ans)
    w.incident("SEAM006", "otlp-only-send-twice", sid)
    w.allow("SEAM002", sid, "the agent gave up on attempt 1 while the tool went on")
    return tt + 30_000


def seam007(w: World, t: float) -> float:
    # the user closed the chat while a call was in flight; its result arrived afterwards
    sid = "sup-f007-inflight"
    sess = w.open(sid, t, "Check the refund status of NW-77121, I'll wait... actually never mind.")
    tt = lead_in(w, sess, t + 20, n=3)
    cid = f"call_{sid}_s"
    args = {"order_id": "NW-77121"}
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("get_refund_status", cid, args)])
    w.call(sess, "get_refund_status", cid, args, tt + 5, (tt + 30, tt + 4000), result={"status": "approved"},
           deliver=False)
    w.close(sess, tt + 1500, None, status="cancelled")
    w.incident("SEAM007", "in-flight-result-after-user-closed", sid)
    t = tt + 40_000
    cases = [("near-reopened-before-callback", "callback.received", 30_000, "reopen", False),
             ("callback-after-close-no-session-id", "callback.received", 20_000, "nosession", True),
             ("callback-after-close", "callback.received", 45_000, None, True),
             ("job-completed-after-close", "job.completed", 8_000, None, True),
             ("tool-result-after-close", "tool.result", 3_000, None, True),
             ("routed-into-next-session", "callback.received", 70_000, "next", True),
             ("near-callback-before-close", "callback.received", -400, None, False),
             ("near-result-before-close-billing-clock", "server", -150, None, False)]
    for i, (form, event, after, routed, fire) in enumerate(cases):
        sid = f"sup-{'f' if fire else 'n'}007-{i:02d}"
        sess = w.open(sid, t, "Please refund order NW-77120.")
        tt = lead_in(w, sess, t + 20, n=3)
        cid = f"call_{sid}_r"
        args = {"order_id": "NW-77120", "reason": "damaged"}
        tt = w.chat(sess, tt + 10, tt + 600, calls=[("open_refund_review", cid, args)])
        job = f"rv-{4000 + i}"
        if event == "tool.result":  # the gateway forwarded a slow result after the user closed the chat
            s0 = tt + 30
            w.call(sess, "open_refund_review", cid, args, tt + 5, (s0, s0 + 200), result={"job_id": job, "status": "queued"},
                   http_status=202)
            tt = s0 + 250
            ans = "Your refund review is open; we'll e-mail you the outcome."
            tt = w.chat(sess, tt + 10, tt + 700, text=ans)
            close = tt + 10
            w.close(sess, close, ans)
            w.log(close + after, "tool.result", sess, step=sess.step, tool="open_refund_review",
                  tool_call_id=f"call_{sid}_late", status="ok", result={"job_id": job, "status": "succeeded"})
            w.log(close + after - 5, "tool.dispatch", sess, step=sess.step, tool="get_refund_outcome",
                  tool_call_id=f"call_{sid}_late_x", args={"job_id": job})
        elif event == "server":
            ans = "Refund review opened."
            s0 = tt + 30
            tt = w.call(sess, "open_refund_review", cid, args, tt + 5, (s0, s0 + 200),
                        result={"review_id": job, "state": "open"})
            tt = w.chat(sess, tt + 10, tt + 300, text=ans)
            w.close(sess, tt + 150, ans)
            tt += 150
        else:
            tt = w.quick(sess, "open_refund_review", cid, args, tt + 5, {"job_id": job, "status": "queued"},
                         http_status=202)
            w.log(tt + 3, "job.submitted", sess, step=sess.step, tool="open_refund_review", tool_call_id=cid,
                  job_id=job, status="queued")
            ans = f"I've opened refund review {job}; you'll get the outcome by e-mail."
            tt = w.chat(sess, tt + 10, tt + 700, text=ans)
            close = tt + 10
            if after < 0:
                w.log(close + after, event, sess, job_id=job, status="succeeded", result={"refund": "approved"})
            w.close(sess, close, ans)
            if after > 0 and routed == "reopen":  # the user came back; the same conversation is open again
                w.log(close + after - 10_000, "session.open", sess)
                w.log(close + after, event, sess, job_id=job, status="succeeded", result={"refund": "approved"})
                w.log(close + after + 2_000, "response.forward", sess, text="Your refund was approved.")
                w.log(close + after + 2_010, "session.close", sess, status="ok")
            elif after > 0 and routed == "nosession":  # the callback names only the job
                w.gw.append((ns_at(close + after), {"event": event, "job_id": job, "status": "succeeded",
                                                    "result": {"refund": "approved"}}))
            elif after > 0:
                target = sess
                if routed:
                    target = w.open(f"{sid}-next", close + after - 3000, "Hi again, any news on my refund?")
                    lead_in(w, target, close + after - 2900)
                w.log(close + after, event, target, job_id=job, status="succeeded", result={"refund": "approved"})
                if routed:
                    w.close(target, close + after + 1200, "Your refund was approved.")
                    w.allow("SEAM004", sid, "the job was only announced; its callback landed elsewhere")
            tt = close + max(after, 0) + 1300
        w.incident("SEAM007", form, sid) if fire else w.near("SEAM007", form, sid)
        t = tt + 30_000
    return t


def seam008(w: World, t: float) -> float:
    digest = ("You are the KB digest worker. Summarize the knowledge-base article you are given into five "
              "bullet points for the support team. Keep product names exact.")

    def fanout(tag: str, n: int, spread_ms: float, writes: list[int], systems: list[str] | None, t: float) -> list[str]:
        sids = []
        for k in range(n):
            sid = f"kb-{tag}-{k:02d}"
            sids.append(sid)
            at = t + k * spread_ms / max(n - 1, 1)
            sess = w.open(sid, at, f"Summarize article KB-{200 + k}.", agent="kb-digest")
            wr = writes[k]
            ans = f"- KB-{200 + k}: five bullets."
            w.chat(sess, at + 10, at + 1900, text=ans, system=(systems[k] if systems else digest),
                   cache=(wr, 0 if wr else 2100))
            w.close(sess, at + 1950, ans)
        return sids

    # OpenInference-instrumented workers (another convention): 6 runs within 900 ms, all cold
    oi_sids = []
    for k in range(6):
        sid = f"kb-oi-{k:02d}"
        oi_sids.append(sid)
        at = t + k * 180
        root = w.tracer.start_span("digest-run", start_time=ns_at(at, OFFSETS_MS["agent"]),
                                   attributes={"openinference.span.kind": "AGENT", "session.id": sid,
                                               "agent.name": "kb-digest-oi"})
        llm = w.tracer.start_span("ChatCompletion", context=trace.set_span_in_context(root), kind=SpanKind.CLIENT,
                                  start_time=ns_at(at + 10, OFFSETS_MS["agent"]),
                                  attributes={"openinference.span.kind": "LLM", "session.id": sid,
                                              "llm.model_name": "claude-sonnet-4-5", "llm.provider": "anthropic",
                                              "llm.input_messages.0.message.role": "system",
                                              "llm.input_messages.0.message.content": digest,
                                              "llm.input_messages.1.message.role": "user",
                                              "llm.input_messages.1.message.content": f"Summarize article KB-{300 + k}.",
                                              "llm.output_messages.0.message.role": "assistant",
                                              "llm.output_messages.0.message.content": f"- KB-{300 + k}: five bullets.",
                                              "llm.token_count.prompt": 2300, "llm.token_count.completion": 80,
                                              "llm.token_count.prompt_details.cache_write": 2100,
                                              "llm.token_count.prompt_details.cache_read": 0})
        llm.end(end_time=ns_at(at + 1900, OFFSETS_MS["agent"]))
        root.end(end_time=ns_at(at + 1950, OFFSETS_MS["agent"]))
    w.incident("SEAM008", "openinference-6-runs", oi_sids[0], sessions=oi_sids)
    t += 60_000
    sys_sids = []
    for k in range(5):
        sid = f"kb-sysmsg-{k:02d}"
        sys_sids.append(sid)
        at = t + k * 250
        sess = w.open(sid, at, f"Summarize article KB-{400 + k}.", agent="kb-digest")
        sess.messages.insert(0, {"role": "system", "parts": [{"type": "text", "content": digest}]})
        ans = f"- KB-{400 + k}: five bullets."
        w.chat(sess, at + 10, at + 1800, text=ans, system="", cache=(2100, 0))
        w.close(sess, at + 1850, ans)
    w.incident("SEAM008", "system-in-input-messages", sys_sids[0], sessions=sys_sids)
    t += 60_000
    sids = fanout("f1", 7, 450, [2100] * 7, None, t)
    w.incident("SEAM008", "fanout-7-sessions", sids[0], sessions=sids)
    t += 60_000
    # a scheduled batch: 12 runs over 1.6 s, all cold
    sids = fanout("f2", 12, 1600, [2100] * 12, None, t)
    w.incident("SEAM008", "batch-12-runs", sids[0], sessions=sids)
    t += 60_000
    sids = fanout("n1", 8, 600, [2100] + [0] * 7, None, t)
    w.near("SEAM008", "one-write-then-reads", sids[0])
    t += 60_000
    sids = fanout("n2", 6, 600_000, [2100] * 6, None, t)
    w.near("SEAM008", "writes-spread-10-min", sids[0])
    t += 700_000
    sids = fanout("n3", 6, 500, [2100] * 6, [digest.replace("five", f"{k + 3}") + f" Locale {k}." for k in range(6)], t)
    w.near("SEAM008", "different-prefixes", sids[0])
    t += 60_000
    sids = fanout("n4", 4, 400, [2100] * 4, None, t)
    w.near("SEAM008", "four-writes-below-n", sids[0])
    t += 60_000
    global MODEL
    saved_model = MODEL
    ab = []
    for k, model in enumerate(["gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large"]):
        MODEL = model  # an A/B evaluation: one prefix sent to five models, each with its own cache
        sid = f"kb-ab-{k:02d}"
        ab.append(sid)
        sess = w.open(sid, t + k * 150, f"Summarize article KB-{500 + k}.", agent="kb-digest-eval")
        ans = f"- KB-{500 + k}: five bullets."
        w.chat(sess, t + k * 150 + 10, t + k * 150 + 1900, text=ans, system=digest, cache=(2100, 0))
        w.close(sess, t + k * 150 + 1950, ans)
    MODEL = saved_model
    w.near("SEAM008", "same-prefix-five-models", ab[0])
    return t + 60_000


def seam009(w: World, t: float) -> float:
    def ev(at: float, event: str, sid: str, agent: str, **kw: Any) -> None:
        w.log(t + at * 1000, event, sid, agent=agent, **kw)

    # 2-cycle across two sessions, open until both sessions hit their deadline
    ev(0, "session.open", "esc-f009-a", "escalation")
    ev(1, "session.open", "esc-f009-b", "billing-bot")
    ev(3, "wait.start", "esc-f009-a", "escalation", step=2, waiting_for="agent:billing-bot")
    ev(4, "wait.start", "esc-f009-b", "billing-bot", step=1, waiting_for="agent:escalation")
    ev(300, "session.close", "esc-f009-a", "escalation", status="timeout", error="session deadline exceeded")
    ev(301, "session.close", "esc-f009-b", "billing-bot", status="timeout", error="session deadline exceeded")
    w.incident("SEAM009", "2-cycle-until-deadline", "esc-f009-a", sessions=["esc-f009-a", "esc-f009-b"])
    # 2-cycle with bare agent names in waiting_for, ended by the deadline
    t += 400_000
    ev(0, "session.open", "hr-f009", "onboarding")
    ev(2, "wait.start", "hr-f009", "onboarding", step=1, waiting_for="it-provisioning")
    ev(4, "wait.start", "hr-f009", "it-provisioning", step=1, waiting_for="onboarding")
    ev(600, "session.close", "hr-f009", "onboarding", status="timeout", error="deadline exceeded")
    w.incident("SEAM009", "2-cycle-bare-names", "hr-f009")
    # 3-cycle of agents for 20 minutes, then an operator cancels
    t += 700_000
    ev(0, "session.open", "tri-f009", "triage")
    ev(2, "wait.start", "tri-f009", "triage", step=1, waiting_for="agent:fraud-check")
    ev(3, "wait.start", "tri-f009", "fraud-check", step=1, waiting_for="agent:kyc")
    ev(5, "wait.start", "tri-f009", "kyc", step=1, waiting_for="agent:triage")
    ev(1200, "wait.end", "tri-f009", "kyc", step=1, waiting_for="agent:triage", status="cancelled")
    ev(1200.5, "wait.end", "tri-f009", "fraud-check", step=1, waiting_for="agent:kyc", status="cancelled")
    ev(1201, "wait.end", "tri-f009", "triage", step=1, waiting_for="agent:fraud-check", status="cancelled")
    ev(1202, "session.close", "tri-f009", "triage", status="cancelled")
    w.incident("SEAM009", "3-cycle-cancelled", "tri-f009")
    # approval queue served by oncall-bot (an earlier grant shows it), which waits on the requester
    t += 1_400_000
    ev(0, "session.open", "chg-0901", "deployer")
    ev(1, "approval.request", "chg-0901", "deployer", step=1, tool="restart_cluster", tool_call_id="call_chg1",
       waiting_for="approvals:oncall")
    ev(9, "approval.grant", "chg-0901", "oncall-bot", step=1, tool="restart_cluster", tool_call_id="call_chg1",
       waiting_for="approvals:oncall", status="ok")
    ev(12, "session.close", "chg-0901", "deployer", status="ok")
    ev(60, "session.open", "chg-f009", "deployer")
    ev(61, "approval.request", "chg-f009", "deployer", step=1, tool="rollback_release", tool_call_id="call_chg2",
       waiting_for="approvals:oncall")
    ev(62, "session.open", "oncall-f009", "oncall-bot")
    ev(63, "wait.start", "oncall-f009", "oncall-bot", step=1, waiting_for="agent:deployer")
    ev(961, "approval.timeout", "chg-f009", "deployer", step=1, tool="rollback_release", tool_call_id="call_chg2",
       waiting_for="approvals:oncall", status="timeout")
    ev(962, "session.close", "chg-f009", "deployer", status="error")
    ev(963, "wait.end", "oncall-f009", "oncall-bot", step=1, waiting_for="agent:deployer", status="error")
    ev(964, "session.close", "oncall-f009", "oncall-bot", status="error")
    w.incident("SEAM009", "approval-wait-cycle-timeout", "chg-f009", sessions=["chg-f009", "oncall-f009"])
    # near: a long chain, no cycle
    t += 1_100_000
    ev(0, "session.open", "rep-n009-chain", "reporter")
    ev(1, "wait.start", "rep-n009-chain", "reporter", step=1, waiting_for="agent:aggregator")
    ev(2, "wait.start", "rep-n009-chain", "aggregator", step=1, waiting_for="agent:warehouse")
    ev(800, "wait.end", "rep-n009-chain", "aggregator", step=1, waiting_for="agent:warehouse", status="ok")
    ev(801, "wait.end", "rep-n009-chain", "reporter", step=1, waiting_for="agent:aggregator", status="ok")
    ev(802, "session.close", "rep-n009-chain", "reporter", status="ok")
    w.near("SEAM009", "long-chain-no-cycle", "rep-n009-chain")
    # near: both directions, never open at the same time
    t += 900_000
    ev(0, "session.open", "rep-n009-apart", "reporter")
    ev(1, "wait.start", "rep-n009-apart", "reporter", step=1, waiting_for="agent:aggregator")
    ev(200, "wait.end", "rep-n009-apart", "reporter", step=1, waiting_for="agent:aggregator", status="ok")
    ev(210, "wait.start", "rep-n009-apart", "aggregator", step=2, waiting_for="agent:reporter")
    ev(400, "wait.end", "rep-n009-apart", "aggregator", step=2, waiting_for="agent:reporter", status="ok")
    ev(401, "session.close", "rep-n009-apart", "reporter", status="ok")
    w.near("SEAM009", "cycle-edges-disjoint", "rep-n009-apart")
    # near: a cycle that lasted 25 s (under the 60 s threshold) and resolved
    t += 500_000
    ev(0, "session.open", "rep-n009-brief", "reporter")
    ev(1, "wait.start", "rep-n009-brief", "reporter", step=1, waiting_for="agent:aggregator")
    ev(2, "wait.start", "rep-n009-brief", "aggregator", step=1, waiting_for="agent:reporter")
    ev(27, "wait.end", "rep-n009-brief", "aggregator", step=1, waiting_for="agent:reporter", status="ok")
    ev(28, "wait.end", "rep-n009-brief", "reporter", step=1, waiting_for="agent:aggregator", status="ok")
    ev(200, "session.close", "rep-n009-brief", "reporter", status="ok")
    w.near("SEAM009", "brief-cycle-25s", "rep-n009-brief")
    return t + 300_000


def seam010(w: World, t: float, clean: bool) -> float:
    # scheduled runs on the scheduler's log (its own clock label, in sync with the gateway)
    runs = [("nightly-0", 5, None), ("nightly-1", -3, None), ("nightly-2", 12, None)]
    if not clean:
        runs += [("nightly-f010-late", 240, "schedule-fired-late-4min"), ("nightly-f010-early", -95, "schedule-fired-early"),
                 ("nightly-n010-ok", 35, "near-within-tolerance")]
    for k, (sid, late_s, form) in enumerate(runs):
        due = t + k * 600_000
        # schedulers write the intended time in several forms: RFC 3339 (Z or an offset), epoch ms or s
        forms = [iso_us(ns_at(due)).replace("+00:00", "Z"),
                 iso_us(ns_at(due), dt.timezone(dt.timedelta(hours=2))),
                 ns_at(due) // MS, ns_at(due) / 1e9]
        due_iso = forms[k % len(forms)]
        fire = due + late_s * 1000
        w.log(fire, "schedule.fire", sid, to="sched", agent="nightly-digest", scheduled_for=due_iso, job="digest")
        w.log(fire + 5, "session.open", sid, to="sched", agent="nightly-digest")
        w.log(fire + 3000, "session.close", sid, to="sched", agent="nightly-digest", status="ok")
        if form:
            (w.incident if not form.startswith("near") else w.near)("SEAM010", form, sid)
    t += len(runs) * 600_000
    # answers that state dates (the wall-clock date of these calls is 2026-11-27/28)
    answers = [
        ("wrong-today-iso", "Today's date is 2026-02-11, so your trial ends in 3 days.", True),
        ("wrong-as-of-today", "As of today, March 2, 2025, your account has 4 open tickets.", True),
        ("currently-weekday-date", "It's currently Tuesday, 14 February 2026 here, so the office is open.", True),
        ("near-future-due", "Your next bill is due on 2026-12-15 and today nothing is overdue.", False),
        ("near-past-date", "Your account was opened on 4 March 2021 and the last payment was on 2 November 2026.", False),
        ("near-today-no-date", "I processed the refund today; the original charge was on 2 September 2026.", False),
    ]
    if clean:
        answers = []
    for i, (form, text, fire) in enumerate(answers):
        sid = f"sup-{'f' if fire else 'n'}010-{i:02d}"
        sess = w.open(sid, t, "When does my trial end?")
        tt = lead_in(w, sess, t + 20)
        tt = w.chat(sess, tt + 10, tt + 900, text=text)
        w.close(sess, tt + 10, text)
        (w.incident if fire else w.near)("SEAM010", form, sid)
        t = tt + 30_000
    return t


def seam011(w: World, t: float) -> float:
    def ev(at: float, event: str, sid: str, agent: str, **kw: Any) -> None:
        w.log(t + at, event, sid, agent=agent, **kw)

    # two sessions through tool arguments (get_profile / edit_profile on one customer), interleaved
    a = w.open("sup-f011-a", t, "Change my phone to +47 400 00 001.")
    b = w.open("sup-f011-b", t + 100, "Add my VAT number NO999888777.")
    ca, cb = "call_f011_a", "call_f011_b"
    w.chat(a, t + 120, t + 600, calls=[("get_profile", ca + "1", {"customer_id": "C-4242"})])
    w.chat(b, t + 220, t + 700, calls=[("get_profile", cb + "1", {"customer_id": "C-4242"})])
    prof = {"customer_id": "C-4242", "phone": "+47 400 00 000", "vat": None, "version": 7}
    w.call(a, "get_profile", ca + "1", {"customer_id": "C-4242"}, t + 610, (t + 640, t + 720), result=prof)
    w.call(b, "get_profile", cb + "1", {"customer_id": "C-4242"}, t + 710, (t + 740, t + 820), result=prof)
    w.chat(a, t + 800, t + 1500, calls=[("edit_profile", ca + "2", {"customer_id": "C-4242", "profile": dict(prof, phone="+47 400 00 001")})])
    w.chat(b, t + 900, t + 1700, calls=[("edit_profile", cb + "2", {"customer_id": "C-4242", "profile": dict(prof, vat="NO999888777")})])
    w.call(a, "edit_profile", ca + "2", {"customer_id": "C-4242", "profile": dict(prof, phone="+47 400 00 001")},
           t + 1510, (t + 1540, t + 1620), result={"ok": True, "version": 8})
    w.call(b, "edit_profile", cb + "2", {"customer_id": "C-4242", "profile": dict(prof, vat="NO999888777")},
           t + 1710, (t + 1740, t + 1820), result={"ok": True, "version": 9})
    w.chat(a, t + 1700, t + 2300, text="Your phone number is updated.")
    w.chat(b, t + 1900, t + 2500, text="Your VAT number is saved.")
    w.close(a, t + 2400, "Your phone number is updated.")
    w.close(b, t + 2600, "Your VAT number is saved.")
    w.incident("SEAM011", "tool-args-two-sessions", "sup-f011-b", sessions=["sup-f011-a", "sup-f011-b"])
    t += 60_000
    # harness state events: two sessions on a shared quota counter
    ev(0, "session.open", "ops-f011-q1", "quota")
    ev(10, "session.open", "ops-f011-q2", "quota")
    ev(100, "state.read", "ops-f011-q1", "quota", resource="quota:ws-19", version=41)
    ev(150, "state.read", "ops-f011-q2", "quota", resource="quota:ws-19", version=41)
    ev(400, "state.write", "ops-f011-q1", "quota", resource="quota:ws-19", version=42)
    ev(420, "state.write", "ops-f011-q2", "quota", resource="quota:ws-19", version=42)
    ev(600, "session.close", "ops-f011-q1", "quota", status="ok")
    ev(650, "session.close", "ops-f011-q2", "quota", status="ok")
    w.incident("SEAM011", "state-two-sessions-quota", "ops-f011-q2", sessions=["ops-f011-q1", "ops-f011-q2"])
    t += 60_000
    # two agents of one session on one ticket
    ev(0, "session.open", "ops-f011-agents", "router")
    ev(50, "state.read", "ops-f011-agents", "tagger", resource="ticket:TCK-9001", version=3)
    ev(60, "state.read", "ops-f011-agents", "prioritizer", resource="ticket:TCK-9001", version=3)
    ev(300, "state.write", "ops-f011-agents", "prioritizer", resource="ticket:TCK-9001", version=4)
    ev(320, "state.write", "ops-f011-agents", "tagger", resource="ticket:TCK-9001", version=4)
    ev(500, "session.close", "ops-f011-agents", "router", status="ok")
    w.incident("SEAM011", "two-agents-one-session", "ops-f011-agents")
    t += 60_000
    # OTLP only: an agent without a gateway; two runs read and save one account through the tool service
    a = w.open("ops-f011-otlp-a", t, "Raise my credit limit to 5000.")
    b = w.open("ops-f011-otlp-b", t + 50, "Change my billing e-mail.")
    acct = {"account_id": "AC-77", "credit_limit": 3000, "email": "old@example.com"}
    for sess, off, change in ((a, 0, {"credit_limit": 5000}), (b, 200, {"email": "new@example.com"})):
        w.chat(sess, t + 60 + off, t + 500 + off, calls=[("fetch_account", f"call_{sess.sid}_r", {"account_id": "AC-77"})],
               harness=False)
        w.call(sess, "fetch_account", f"call_{sess.sid}_r", {"account_id": "AC-77"}, t + 510 + off,
               (t + 540 + off, t + 600 + off), result=acct, harness=False)
    for sess, off, change in ((a, 0, {"credit_limit": 5000}), (b, 300, {"email": "new@example.com"})):
        args = dict(acct, **change)
        w.chat(sess, t + 900 + off, t + 1500 + off, calls=[("save_account", f"call_{sess.sid}_w", args)], harness=False)
        w.call(sess, "save_account", f"call_{sess.sid}_w", args, t + 1510 + off, (t + 1540 + off, t + 1620 + off),
               result={"saved": True}, harness=False)
    w.close(a, t + 2500, None)
    w.close(b, t + 2600, None)
    w.incident("SEAM011", "otlp-only-fetch-save", "ops-f011-otlp-b", sessions=["ops-f011-otlp-a", "ops-f011-otlp-b"])
    t += 60_000
    # near: two sessions update different invoices of one customer at the same time
    a = w.open("sup-n011-inv-a", t, "Add PO-1 to INV-8801.")
    b = w.open("sup-n011-inv-b", t + 60, "Add PO-2 to INV-8802.")
    for sess, inv, off in ((a, "INV-8801", 0), (b, "INV-8802", 100)):
        rd = {"customer_id": "C-500", "invoice_id": inv}
        w.chat(sess, t + 100 + off, t + 500 + off, calls=[("get_invoice", f"call_{sess.sid}_r", rd)])
        w.call(sess, "get_invoice", f"call_{sess.sid}_r", rd, t + 510 + off, (t + 540 + off, t + 600 + off),
               result=dict(rd, po_number=None))
    for sess, inv, po, off in ((a, "INV-8801", "PO-1", 0), (b, "INV-8802", "PO-2", 150)):
        wr = {"customer_id": "C-500", "invoice_id": inv, "po_number": po}
        w.chat(sess, t + 700 + off, t + 1300 + off, calls=[("update_invoice", f"call_{sess.sid}_w", wr)])
        w.call(sess, "update_invoice", f"call_{sess.sid}_w", wr, t + 1310 + off, (t + 1340 + off, t + 1420 + off),
               result=dict(wr, saved=True))
    w.close(a, t + 2500, "Done.")
    w.close(b, t + 2600, "Done.")
    w.near("SEAM011", "different-invoices-same-customer", "sup-n011-inv-b")
    t += 60_000
    # near: a conditioned update (if_match in the arguments) rejected with 412, then re-read and re-applied
    a = w.open("sup-n011-ifm-a", t, "Set my phone.")
    b = w.open("sup-n011-ifm-b", t + 60, "Set my VAT id.")
    prof = {"customer_id": "C-4343", "phone": "1", "vat": None, "etag": "v7"}
    for sess, off in ((a, 0), (b, 100)):
        w.chat(sess, t + 100 + off, t + 500 + off, calls=[("get_profile", f"call_{sess.sid}_r", {"customer_id": "C-4343"})])
        w.call(sess, "get_profile", f"call_{sess.sid}_r", {"customer_id": "C-4343"}, t + 510 + off,
               (t + 540 + off, t + 600 + off), result=prof)
    wa = {"customer_id": "C-4343", "phone": "2", "if_match": "v7"}
    wb = {"customer_id": "C-4343", "vat": "NO1", "if_match": "v7"}
    w.chat(a, t + 700, t + 1300, calls=[("edit_profile", "call_ifm_a", wa)])
    w.call(a, "edit_profile", "call_ifm_a", wa, t + 1310, (t + 1340, t + 1420), result={"etag": "v8"})
    w.chat(b, t + 800, t + 1400, calls=[("edit_profile", "call_ifm_b", wb)])
    w.call(b, "edit_profile", "call_ifm_b", wb, t + 1430, (t + 1460, t + 1520), result={"error": "precondition failed"},
           http_status=412, server_error="HTTP 412 Precondition Failed")
    w.call(b, "get_profile", "call_ifm_b2", {"customer_id": "C-4343"}, t + 1600, (t + 1630, t + 1690),
           result=dict(prof, phone="2", etag="v8"))
    wb2 = dict(wb, if_match="v8")
    w.call(b, "edit_profile", "call_ifm_b3", wb2, t + 1800, (t + 1830, t + 1900), result={"etag": "v9"})
    w.close(a, t + 2500, "Done.")
    w.close(b, t + 2600, "Done.")
    w.near("SEAM011", "if-match-412-then-reread", "sup-n011-ifm-b")
    t += 60_000
    # near: sequential read-modify-write
    ev(0, "session.open", "ops-n011-seq1", "quota")
    ev(10, "state.read", "ops-n011-seq1", "quota", resource="quota:ws-20", version=5)
    ev(50, "state.write", "ops-n011-seq1", "quota", resource="quota:ws-20", version=6)
    ev(60, "session.close", "ops-n011-seq1", "quota", status="ok")
    ev(100, "session.open", "ops-n011-seq2", "quota")
    ev(110, "state.read", "ops-n011-seq2", "quota", resource="quota:ws-20", version=6)
    ev(150, "state.write", "ops-n011-seq2", "quota", resource="quota:ws-20", version=7)
    ev(160, "session.close", "ops-n011-seq2", "quota", status="ok")
    w.near("SEAM011", "sequential", "ops-n011-seq2")
    t += 60_000
    # near: a compare-and-set write rejected
    ev(0, "session.open", "ops-n011-cas1", "quota")
    ev(5, "session.open", "ops-n011-cas2", "quota")
    ev(10, "state.read", "ops-n011-cas1", "quota", resource="quota:ws-21", version=9)
    ev(20, "state.read", "ops-n011-cas2", "quota", resource="quota:ws-21", version=9)
    ev(60, "state.write", "ops-n011-cas1", "quota", resource="quota:ws-21", version=10, expected_version=9)
    ev(70, "state.write", "ops-n011-cas2", "quota", resource="quota:ws-21", expected_version=9, status="error",
       error="version conflict: expected 9, found 10")
    ev(90, "state.read", "ops-n011-cas2", "quota", resource="quota:ws-21", version=10)
    ev(120, "state.write", "ops-n011-cas2", "quota", resource="quota:ws-21", version=11, expected_version=10)
    ev(200, "session.close", "ops-n011-cas1", "quota", status="ok")
    ev(210, "session.close", "ops-n011-cas2", "quota", status="ok")
    w.near("SEAM011", "cas-conflict-then-reread", "ops-n011-cas2")
    t += 60_000
    # near: two concurrent readers, only one writes
    ev(0, "session.open", "ops-n011-onew1", "quota")
    ev(5, "session.open", "ops-n011-onew2", "quota")
    ev(10, "state.read", "ops-n011-onew1", "quota", resource="quota:ws-22", version=2)
    ev(20, "state.read", "ops-n011-onew2", "quota", resource="quota:ws-22", version=2)
    ev(60, "state.write", "ops-n011-onew1", "quota", resource="quota:ws-22", version=3)
    ev(200, "session.close", "ops-n011-onew1", "quota", status="ok")
    ev(210, "session.close", "ops-n011-onew2", "quota", status="ok")
    w.near("SEAM011", "readers-one-writer", "ops-n011-onew2")
    return t + 60_000


def seam012(w: World, t: float) -> float:
    forms = [("truncate-dropped-latest", True), ("harness-lost-result", True), ("placeholder-under-id", True),
             ("second-of-two-parallel-missing", True), ("near-reserialized", False),
             ("near-truncate-old-only", False), ("near-tool-error-delivered", False)]
    for i, (form, fire) in enumerate(forms):
        sid = f"sup-{'f' if fire else 'n'}012-{i:02d}"
        sess = w.open(sid, t, "Compare my last two invoices.")
        tt = lead_in(w, sess, t + 20)
        old_ids = [m["parts"][0]["id"] for m in sess.messages if m["role"] == "tool"]
        c1, c2 = f"call_{sid}_i1", f"call_{sid}_i2"
        b1 = {"invoice_id": "INV-5001", "total_eur": 310.4, "lines": 3}
        b2 = {"invoice_id": "INV-5002", "total_eur": 298.1, "lines": 3}
        if form == "near-tool-error-delivered":
            tt = w.chat(sess, tt + 10, tt + 600, calls=[("get_invoice", c1, {"invoice_id": "INV-5001"})])
            tt = w.call(sess, "get_invoice", c1, {"invoice_id": "INV-5001"}, tt + 5, (tt + 30, tt + 120),
                        result={"error": "ledger unavailable"}, http_status=500, server_error="HTTP 500: ledger unavailable")
        elif form == "second-of-two-parallel-missing":
            tt = w.chat(sess, tt + 10, tt + 600, calls=[("get_invoice", c1, {"invoice_id": "INV-5001"}),
                                                        ("get_invoice", c2, {"invoice_id": "INV-5002"})])
            e1 = w.quick(sess, "get_invoice", c1, {"invoice_id": "INV-5001"}, tt + 5, b1)
            e2 = w.quick(sess, "get_invoice", c2, {"invoice_id": "INV-5002"}, tt + 9, b2, deliver=False)
            tt = max(e1, e2)
        else:
            tt = w.chat(sess, tt + 10, tt + 600, calls=[("get_invoice", c1, {"invoice_id": "INV-5001"})])
            tt = w.quick(sess, "get_invoice", c1, {"invoice_id": "INV-5001"}, tt + 5, b1,
                         deliver=form in ("near-reserialized", "near-truncate-old-only"))
        msgs = sess.messages
        if form == "truncate-dropped-latest":
            w.log(tt + 4, "context.truncate", sess, step=sess.step + 1, dropped_tool_call_ids=[c1],
                  reason="context window 128k exceeded")
        elif form == "placeholder-under-id":
            msgs.append(result_msg(c1, "[tool result omitted: the tool call was interrupted]"))
        elif form == "near-reserialized":
            msgs[-1] = {"role": "tool", "parts": [{"type": "tool_call_response", "id": c1,
                                                    "response": json.dumps(b1, indent=2, sort_keys=True)}]}
        elif form == "near-truncate-old-only":
            w.log(tt + 4, "context.truncate", sess, step=sess.step + 1, dropped_tool_call_ids=old_ids,
                  reason="context window 128k exceeded")
            msgs[:] = [m for m in msgs if not (m["role"] == "tool" and m["parts"][0]["id"] in old_ids)]
        ans = {"second-of-two-parallel-missing": "I have INV-5001 at EUR 310.4; let me know if you need more.",
               "near-tool-error-delivered": "The ledger is unavailable right now, so I can't compare the invoices; "
                                            "please try again later."}.get(form, "Your last invoice was EUR 310.4.")
        tt = w.chat(sess, tt + 10, tt + 900, text=ans)
        w.close(sess, tt + 10, ans)
        (w.incident if fire else w.near)("SEAM012", form, sid)
        t = tt + 30_000
    # parallel results forwarded in ONE tool message with a part per call: one part missing / all present
    for form, fire in (("grouped-parts-one-missing", True), ("near-grouped-parts-all-present", False)):
        sid = f"sup-{'f' if fire else 'n'}012-{form[:12]}"
        sess = w.open(sid, t, "Compare my last three invoices.")
        tt = lead_in(w, sess, t + 20)
        ids = [f"call_{sid}_g{j}" for j in range(3)]
        calls = [("get_invoice", cid, {"invoice_id": f"INV-60{j}"}) for j, cid in enumerate(ids)]
        tt = w.chat(sess, tt + 10, tt + 600, calls=calls)
        bodies = [{"invoice_id": f"INV-60{j}", "total_eur": 100.0 + j} for j in range(3)]
        ends = [w.quick(sess, n, c, a, tt + 5 + 3 * j, b, deliver=False)
                for j, ((n, c, a), b) in enumerate(zip(calls, bodies))]
        parts = [{"type": "tool_call_response", "id": cid, "response": b} for cid, b in zip(ids, bodies)]
        if fire:
            parts = parts[:1] + parts[2:]
        sess.messages.append({"role": "tool", "parts": parts})
        ans = "Your invoices total EUR 100.0 and EUR 102.0." if fire else "They total EUR 100.0, 101.0 and 102.0."
        tt = w.chat(sess, max(ends) + 10, max(ends) + 900, text=ans)
        w.close(sess, tt + 10, ans)
        (w.incident if fire else w.near)("SEAM012", form, sid)
        t = tt + 30_000
    # near: the caller gave up on the call (that is SEAM002, not this)
    sid = "sup-n012-gave-up"
    sess = w.open(sid, t, "Compare my last two invoices.")
    tt = lead_in(w, sess, t + 20)
    c1 = f"call_{sid}_i1"
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("get_invoice", c1, {"invoice_id": "INV-5003"})])
    w.call(sess, "get_invoice", c1, {"invoice_id": "INV-5003"}, tt + 5, (tt + 30, tt + 9000),
           result={"invoice_id": "INV-5003", "total_eur": 1.0}, gives_up="timeout", give_up_ms=tt + 8005, deliver=False)
    sess.messages.append(result_msg(c1, "Error: the tool timed out after 8000 ms"))
    ans = "The billing system is slow right now; please try again later."
    tt = w.chat(sess, tt + 8100, tt + 8700, text=ans)
    w.close(sess, tt + 10, ans)
    w.near("SEAM012", "caller-gave-up", sid)
    w.incident("SEAM002", "gave-up-result-replaced", sid)
    return tt + 30_000


def harness_only(w: World, t: float) -> float:
    """A second gateway tenant whose agent and tools are third-party (no traces): every incident
    is visible only in the gateway's log."""
    def session(sid: str, prompt: str) -> Sess:
        sess = w.open(sid, t, prompt, agent="partner-bot", otel=False)
        sess.linked = False
        return sess

    def step(sess: Sess, at: float, text: str | None = None) -> None:
        sess.step += 1
        w.log(at, "model.request", sess, step=sess.step)
        w.log(at + 700, "model.response", sess, step=sess.step, text=text, status="ok")

    def result(sess: Sess, at: float, cid: str, tool: str, attempt: int = 1, **kw: Any) -> None:
        w.log(at, "tool.result", sess, step=sess.step, tool=tool, tool_call_id=cid, attempt=attempt, **kw)

    def dispatch(sess: Sess, at: float, cid: str, tool: str, args: dict[str, Any], attempt: int = 1, **kw: Any) -> None:
        if attempt > 1:
            w.log(at - 1, "tool.retry", sess, step=sess.step, tool=tool, tool_call_id=cid, attempt=attempt)
        w.log(at, "tool.dispatch", sess, step=sess.step, tool=tool, tool_call_id=cid, attempt=attempt, args=args,
              timeout_ms=5000, **kw)

    # SEAM001: null result, confident answer
    sess = session("ptn-f001", "What's the status of my claim CL-3321?")
    step(sess, t + 10)
    dispatch(sess, t + 720, "pc_1", "get_claim", {"claim_id": "CL-3321"})
    result(sess, t + 900, "pc_1", "get_claim", status="ok", result=None)
    answer = "Claim CL-3321 was approved on 20 November; EUR 1,180 will be paid out by 2 December."
    step(sess, t + 910, answer)
    w.close(sess, t + 1700, answer)
    w.incident("SEAM001", "harness-only-null", sess.sid)
    t += 30_000
    # SEAM002: the gateway gave up, the tool's late result still arrived
    sess = session("ptn-f002", "Send me my policy documents.")
    step(sess, t + 10)
    dispatch(sess, t + 720, "pc_2", "bundle_documents", {"policy": "P-88"})
    w.log(t + 5720, "tool.timeout", sess, step=sess.step, tool="bundle_documents", tool_call_id="pc_2", attempt=1,
          status="timeout", error="no response after 5000 ms")
    result(sess, t + 6900, "pc_2", "bundle_documents", status="ok", result={"zip": "https://docs.example/P-88.zip"},
           note="arrived after the caller timed out")
    answer = "The document service is slow right now; I'll need to try again later."
    step(sess, t + 5730, answer)
    w.close(sess, t + 8000, answer)
    w.incident("SEAM002", "harness-only-late-result", sess.sid)
    t += 30_000
    # near SEAM002: the tool confirmed it aborted (cancelled, no result)
    sess = session("ptn-n002", "Send me my policy documents.")
    step(sess, t + 10)
    dispatch(sess, t + 720, "pc_3", "bundle_documents", {"policy": "P-89"})
    w.log(t + 5720, "tool.timeout", sess, step=sess.step, tool="bundle_documents", tool_call_id="pc_3", attempt=1,
          status="timeout", error="no response after 5000 ms")
    result(sess, t + 5800, "pc_3", "bundle_documents", status="cancelled", error="aborted by caller")
    answer = "The document service is slow right now; please try again later."
    step(sess, t + 5810, answer)
    w.close(sess, t + 7000, answer)
    w.near("SEAM002", "harness-only-tool-aborted", sess.sid)
    t += 30_000
    # SEAM006: attempt 1's result came back late (it ran), attempt 2 ran again; no key
    sess = session("ptn-f006", "Pay my premium now.")
    step(sess, t + 10)
    args = {"policy": "P-90", "amount_eur": 120.0}
    dispatch(sess, t + 720, "pc_4", "pay_premium", args)
    w.log(t + 5720, "tool.timeout", sess, step=sess.step, tool="pay_premium", tool_call_id="pc_4", attempt=1,
          status="timeout", error="no response after 5000 ms")
    dispatch(sess, t + 5800, "pc_4", "pay_premium", args, attempt=2)
    result(sess, t + 6100, "pc_4", "pay_premium", attempt=1, status="ok", result={"payment": "PM-1", "paid": True})
    result(sess, t + 6300, "pc_4", "pay_premium", attempt=2, status="ok", result={"payment": "PM-2", "paid": True})
    answer = "Your premium of EUR 120.0 is paid (PM-2)."
    step(sess, t + 6310, answer)
    w.close(sess, t + 7100, answer)
    w.incident("SEAM006", "harness-only-late-attempt-1", sess.sid)
    w.allow("SEAM002", sess.sid, "the gateway gave up on attempt 1, whose result still arrived")
    t += 30_000
    # SEAM004: a 202 handle never followed up; the answer says it is done
    sess = session("ptn-f004", "Update my address on all policies.")
    step(sess, t + 10)
    dispatch(sess, t + 720, "pc_5", "bulk_update_address", {"customer": "K-1", "zip": "0150"})
    result(sess, t + 1100, "pc_5", "bulk_update_address", status="ok", http_status=202,
           result={"job_id": "bulk-5521", "status": "accepted"})
    answer = "All your policies now carry the new address."
    step(sess, t + 1110, answer)
    w.close(sess, t + 1900, answer)
    w.incident("SEAM004", "harness-only-202", sess.sid)
    return t + 30_000


def openinference_sessions(w: World, t: float) -> float:
    """An agent instrumented with OpenInference (AGENT / LLM / TOOL spans, `llm.input_messages.N.*`),
    calling the CRM service; no gateway in front of it."""
    tracer = w.tracer

    def llm(root: Any, sid: str, at: float, msgs: list[tuple[str, str, str | None]], out: str | None,
            call: tuple[str, str, dict[str, Any]] | None) -> None:
        attrs: dict[str, Any] = {"openinference.span.kind": "LLM", "session.id": sid, "llm.model_name": "gpt-4o",
                                 "llm.token_count.prompt": 900, "llm.token_count.completion": 40}
        for i, (role, content, call_id) in enumerate(msgs):
            attrs[f"llm.input_messages.{i}.message.role"] = role
            attrs[f"llm.input_messages.{i}.message.content"] = content
            if call_id:
                attrs[f"llm.input_messages.{i}.message.tool_call_id"] = call_id
        attrs["llm.output_messages.0.message.role"] = "assistant"
        if out is not None:
            attrs["llm.output_messages.0.message.content"] = out
        if call:
            attrs["llm.output_messages.0.message.tool_calls.0.tool_call.id"] = call[1]
            attrs["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"] = call[0]
            attrs["llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments"] = json.dumps(call[2])
        span = tracer.start_span("ChatCompletion", context=trace.set_span_in_context(root), kind=SpanKind.CLIENT,
                                 start_time=ns_at(at, OFFSETS_MS["agent"]), attributes=attrs)
        span.end(end_time=ns_at(at + 800, OFFSETS_MS["agent"]))

    def tool(root: Any, sid: str, at: float, name: str, call_id: str, args: dict[str, Any], body: Any) -> None:
        span = tracer.start_span(name, context=trace.set_span_in_context(root), kind=SpanKind.CLIENT,
                                 start_time=ns_at(at, OFFSETS_MS["agent"]),
                                 attributes={"openinference.span.kind": "TOOL", "session.id": sid, "tool.name": name,
                                             "tool_call.id": call_id, "input.value": json.dumps(args),
                                             "output.value": json.dumps(body)})
        headers: dict[str, str] = {}
        PROPAGATOR.inject(headers, context=trace.set_span_in_context(span))
        server = w.services["crm"].tracer_provider.get_tracer("crm.http").start_span(
            f"POST /v2/tools/{name}", context=PROPAGATOR.extract(headers), kind=SpanKind.SERVER,
            start_time=ns_at(at + 20, OFFSETS_MS["crm"]),
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                        "gen_ai.tool.call.arguments": json.dumps(args), "gen_ai.tool.call.result": json.dumps(body),
                        "http.response.status_code": 200})
        server.end(end_time=ns_at(at + 180, OFFSETS_MS["crm"]))
        span.end(end_time=ns_at(at + 200, OFFSETS_MS["agent"]))

    cases = [("oi-f001-empty-output", "SEAM001", True, {"results": []}, True,
              "Your replacement router (model AX-3000) shipped on 21 November via DHL, tracking 00340434161234567890."),
             ("oi-n001-empty-ack", "SEAM001", False, {"results": []}, True,
              "I couldn't find any shipment for that request yet."),
             ("oi-f012-result-missing", "SEAM012", True, {"results": [{"shipment": "SH-1", "state": "delivered"}]},
              False, "Let me know if there's anything else."),
             ("oi-n012-result-present", "SEAM012", False, {"results": [{"shipment": "SH-2", "state": "delivered"}]},
              True, "Shipment SH-2 is delivered.")]
    for sid, code, fire, body, delivered, answer in cases:
        root = tracer.start_span("support-run", start_time=ns_at(t, OFFSETS_MS["agent"]),
                                 attributes={"openinference.span.kind": "AGENT", "session.id": sid, "agent.name": "oi-desk"})
        w.traces[sid] = format(root.get_span_context().trace_id, "032x")
        cid = f"call_{sid}"
        args = {"customer_id": "C-31", "kind": "replacement"}
        user = "Where is my replacement device?"
        llm(root, sid, t + 10, [("system", SUPPORT_SYSTEM, None), ("user", user, None)], None,
            ("find_shipments", cid, args))
        tool(root, sid, t + 830, "find_shipments", cid, args, body)
        msgs = [("system", SUPPORT_SYSTEM, None), ("user", user, None)]
        if delivered:
            msgs.append(("tool", json.dumps(body), cid))
        llm(root, sid, t + 1050, msgs, answer, None)
        root.end(end_time=ns_at(t + 1900, OFFSETS_MS["agent"]))
        (w.incident if fire else w.near)(code, "openinference-" + sid, sid)
        t += 30_000
    return t


def harness_variants(w: World, t: float) -> float:
    """Gateways that log less: a timeout only as the result's status; attempts not numbered."""
    # SEAM002: no tool.timeout event, the caller's outcome is a tool.result with status timeout
    sess = w.open("ops-f002-status-only", t, "Export my audit log.")
    tt = lead_in(w, sess, t + 20, n=3)
    cid = "call_status_only"
    args = {"account_id": "AC-9", "month": "2026-10"}
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("export_audit_log", cid, args)])
    a1 = tt + 5
    w.call(sess, "export_audit_log", cid, args, a1, (a1 + 30, a1 + 7400), result={"url": "https://files.example/a.csv"},
           harness_result=False, deliver=False)
    w.log(a1 + 6000, "tool.result", sess, step=sess.step, tool="export_audit_log", tool_call_id=cid, attempt=1,
          status="timeout", error="upstream did not answer within 6000 ms")
    sess.messages.append(result_msg(cid, {"error": "timeout"}))
    ans = "The audit export timed out; please try again later."
    tt = w.chat(sess, a1 + 6010, a1 + 6600, text=ans)
    w.close(sess, tt + 2000, ans)
    w.incident("SEAM002", "timeout-as-result-status", sess.sid)
    t = tt + 40_000
    # SEAM006: the gateway re-dispatches the same call id without attempt numbers or retry events
    sess = w.open("ops-f006-unnumbered", t, "Create a ticket for my broken screen.")
    tt = lead_in(w, sess, t + 20, n=3)
    cid = "call_unnumbered"
    args = {"customer_id": "C-19", "subject": "Broken screen", "priority": "high"}
    tt = w.chat(sess, tt + 10, tt + 600, calls=[("create_ticket", cid, args)])
    a1 = tt + 5
    sess_linked = sess.linked
    for at, srv, last in ((a1, (a1 + 30, a1 + 6800), False), (a1 + 6100, (a1 + 6130, a1 + 6400), True)):
        w.log(at + 2, "tool.dispatch", sess, step=sess.step, tool="create_ticket", tool_call_id=cid, args=args)
        headers: dict[str, str] = {}
        PROPAGATOR.inject(headers, context=trace.set_span_in_context(sess.root))
        span = w.services["crm"].tracer_provider.get_tracer("crm.http").start_span(
            "POST /v2/tools/create_ticket", context=PROPAGATOR.extract(headers), kind=SpanKind.SERVER,
            start_time=ns_at(srv[0], OFFSETS_MS["crm"]),
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "create_ticket",
                        "gen_ai.tool.call.id": cid, "gen_ai.tool.call.arguments": json.dumps(args),
                        "gen_ai.tool.call.result": json.dumps({"ticket": "TCK-88" + ("2" if last else "1")}),
                        "http.response.status_code": 201})
        span.end(end_time=ns_at(srv[1], OFFSETS_MS["crm"]))
        if not last:
            w.log(at + 6000, "tool.timeout", sess, step=sess.step, tool="create_ticket", tool_call_id=cid,
                  status="timeout", error="no response after 6000 ms")
        else:
            w.log(srv[1] + 14, "tool.result", sess, step=sess.step, tool="create_ticket", tool_call_id=cid,
                  status="ok", http_status=201, result={"ticket": "TCK-882"})
    del sess_linked
    sess.messages.append(result_msg(cid, {"ticket": "TCK-882"}))
    ans = "I've opened ticket TCK-882 for your broken screen."
    tt = w.chat(sess, a1 + 6500, a1 + 7100, text=ans)
    w.close(sess, tt + 10, ans)
    w.incident("SEAM006", "re-dispatch-without-attempt-numbers", sess.sid)
    w.allow("SEAM002", sess.sid, "the gateway gave up on the first dispatch while the tool went on")
    return tt + 40_000


def seam010_stepped(w: World, t: float) -> float:
    """A geocoding service whose clock steps from +0.2 s to +1.9 s mid-run (NTP gave up, then fixed)."""
    w.services["geo"] = make_process("geo-tools", "geo-node", "5.1.0", 7070)
    for k in range(24):
        OFFSETS_MS["geo"] = 200.0 if k < 12 else 1900.0
        sid = f"sup-geo-{k:02d}"
        sess = w.open(sid, t, "Which depot serves postcode 0150?")
        cid = f"call_{sid}_g"
        tt = w.chat(sess, t + 20, t + 600, calls=[("geocode", cid, {"postcode": "0150", "country": "NO"})])
        tt = w.call(sess, "geocode", cid, {"postcode": "0150", "country": "NO"}, tt + 5, (tt + 30, tt + 150),
                    result={"lat": 59.91, "lon": 10.75, "depot": "Oslo-Sentrum"}, service="geo")
        ans = "Depot Oslo-Sentrum serves 0150."
        tt = w.chat(sess, tt + 10, tt + 700, text=ans)
        w.close(sess, tt + 10, ans)
        t = tt + 15_000
    w.incident("SEAM010", "domain-stepped-clock", None, subject="geo-tools")
    return t


def late_cycle(w: World) -> None:
    """Two agents waiting on each other when the export ends: neither session ever closed."""
    end = max(t for t, _ in w.gw) / MS - BASE_NS / MS
    t = end - 900_000
    w.log(t, "session.open", "dsp-f009-open-a", agent="dispatcher")
    w.log(t + 1000, "session.open", "dsp-f009-open-b", agent="courier-planner")
    w.log(t + 2000, "wait.start", "dsp-f009-open-a", agent="dispatcher", step=1, waiting_for="agent:courier-planner")
    w.log(t + 3000, "wait.start", "dsp-f009-open-b", agent="courier-planner", step=1, waiting_for="agent:dispatcher")
    w.incident("SEAM009", "2-cycle-never-closed", "dsp-f009-open-a", sessions=["dsp-f009-open-a", "dsp-f009-open-b"])


def seam010_domain(w: World, t: float) -> float:
    """A third tool service whose clock is 2.7 s ahead (an incident of its own domain)."""
    w.services["search"] = make_process("search-tools", "search-node", "0.9.3", 9090)
    for k in range(8):
        sid = f"sup-search-{k:02d}"
        sess = w.open(sid, t, "Find the doc about webhooks.")
        cid = f"call_{sid}_s"
        tt = w.chat(sess, t + 20, t + 600, calls=[("semantic_search", cid, {"q": "webhooks retry"})])
        tt = w.call(sess, "semantic_search", cid, {"q": "webhooks retry"}, tt + 5, (tt + 30, tt + 180),
                    result={"docs": [{"id": "D-9", "title": "Webhook retries"}]}, service="search")
        ans = "See D-9, 'Webhook retries'."
        tt = w.chat(sess, tt + 10, tt + 700, text=ans)
        w.close(sess, tt + 10, ans)
        t = tt + 20_000
    w.incident("SEAM010", "domain-offset-2.7s", None, subject="search-tools")
    return t


# ============================================================================================
# Framework exports: the OpenAI Agents SDK and pydantic-ai
# ============================================================================================


def agents_sdk(w: World, start_ms: float, clean: bool) -> list[dict[str, Any]]:
    """Sessions run by the real Agents SDK (offline, scripted model, collecting processor)."""
    from agents import Agent, Runner, function_tool, set_trace_processors, set_trace_provider, trace
    from agents.tracing import set_tracing_export_api_key
    from generate_openai_agents import CollectingProcessor, DeterministicTraceProvider, ScriptedModel, fc, msg, \
        install_network_guard

    install_network_guard()

    class Provider(DeterministicTraceProvider):
        def __init__(self) -> None:
            super().__init__()
            self._base = dt.datetime.fromtimestamp(ns_at(start_ms) / 1e9, tz=dt.timezone.utc)

        def jump(self, seconds: float) -> None:
            self._base += dt.timedelta(seconds=seconds)

    provider = Provider()
    set_trace_provider(provider)
    collector = CollectingProcessor()
    set_trace_processors([collector])
    set_tracing_export_api_key("sk-offline-dummy")
    state: dict[str, Any] = {}

    @function_tool
    def lookup_device(serial: str) -> list[dict[str, Any]]:
        """Look up a registered device by serial number."""
        return state.get("device", [])

    @function_tool
    def book_repair(serial: str, date: str) -> dict[str, Any]:
        """Book a repair slot (date YYYY-MM-DD)."""
        if len(date) != 10 or date[4] != "-":
            raise ValueError(f"invalid date {date!r}: expected YYYY-MM-DD")
        if state.get("flaky") and not state.pop("flaky_done", False):
            state["flaky_done"] = True
            raise RuntimeError("repair scheduler unavailable (503)")
        return {"serial": serial, "date": date, "slot": "09:00-12:00", "booking": "RB-7781"}

    scenarios: list[tuple[str, str, bool, list[Any], dict[str, Any]]] = []
    if not clean:
        scenarios += [
            ("sdk-f001-device-empty", "SEAM001", True, [
                ("r1", [fc("call_d1", "lookup_device", {"serial": "SN-4471"})], (90, 12)),
                ("r2", [msg("m2", "Your device SN-4471 is a Model Q7 registered on 18 August 2025; its warranty "
                                  "runs until 18 August 2027.")], (140, 30))], {"device": []}),
            ("sdk-n001-device-empty-ack", "SEAM001", False, [
                ("r1", [fc("call_d1", "lookup_device", {"serial": "SN-4472"})], (90, 12)),
                ("r2", [msg("m2", "I don't see any device registered under SN-4472. Could you check the "
                                  "serial on the label?")], (140, 30))], {"device": []}),
            ("sdk-f003-bad-date", "SEAM003", True, [
                ("r1", [fc("call_b1", "book_repair", {"serial": "SN-1", "date": "03/12/2026"})], (90, 12)),
                ("r2", [fc("call_b2", "book_repair", {"serial": "SN-1", "date": "2026-12-03"})], (120, 14)),
                ("r3", [msg("m3", "Booked: RB-7781 on 2026-12-03, 09:00-12:00.")], (150, 20))], {}),
            ("sdk-n003-unavailable-same", "SEAM003", False, [
                ("r1", [fc("call_b1", "book_repair", {"serial": "SN-2", "date": "2026-12-04"})], (90, 12)),
                ("r2", [fc("call_b2", "book_repair", {"serial": "SN-2", "date": "2026-12-04"})], (120, 14)),
                ("r3", [msg("m3", "Booked: RB-7781 on 2026-12-04, 09:00-12:00.")], (150, 20))], {"flaky": True}),
        ]
    for k in range(6):
        dev = {"device": [{"serial": f"SN-50{k}", "model": "Q5", "registered": "2025-01-10"}]}
        scenarios.append((f"sdk-ok-{k}", "", False, [
            ("r1", [fc("call_d1", "lookup_device", {"serial": f"SN-50{k}"})], (90, 12)),
            ("r2", [msg("m2", f"SN-50{k} is a Q5 registered on 2025-01-10.")], (140, 30))], dev))
    for name, code, fire, turns, st in scenarios:
        state.clear()
        state.update(st)
        model = ScriptedModel([(f"resp_{name}_{rid}", out_items, usage) for rid, out_items, usage in turns],
                              wire="chat")  # generation spans carry the model's output text
        agent = Agent(name="RepairDesk", instructions="Help with device repairs using the tools.", model=model,
                      tools=[lookup_device, book_repair])
        with trace(f"repair {name}", group_id=name):
            asyncio.run(Runner.run(agent, "Help me with my device."))
        provider.jump(120)
        if code:
            (w.incident if fire else w.near)(code, "agents-sdk-" + name, name)
    return [it for it in collector.items if it]


FW_OFFSET_MS = -350.0
"""The Agents SDK host's clock (its export's started_at / ended_at) reads 0.35 s behind."""


def agents_sdk_gateway(w: World, start_ms: float, clean: bool) -> list[dict[str, Any]]:
    """Agents SDK runs (offline, scripted model) whose tools go through the gateway to the tool
    services: the agent layer of these sessions is the SDK's trace export (group id = session
    id), the gateway logs the dispatches and results, the tool services their SERVER spans."""
    from agents import Agent, Runner, function_tool, set_trace_processors, trace
    from agents.tracing import TracingProcessor
    from generate_openai_agents import ScriptedModel, fc, msg

    vc = {"ms": start_ms}
    items: list[dict[str, Any]] = []

    def iso(ms: float) -> str:
        return iso_us(ns_at(ms, FW_OFFSET_MS))

    class Stamping(TracingProcessor):
        """The SDK's export items, stamped on the virtual clock (the host's clock)."""

        def __init__(self) -> None:
            self.starts: dict[str, float] = {}

        def on_trace_start(self, tr: Any) -> None:
            item = tr.export()
            if item:
                items.append(item)

        def on_trace_end(self, tr: Any) -> None:
            pass

        def on_span_start(self, span: Any) -> None:
            vc["ms"] += 0.4
            self.starts[span.span_id] = vc["ms"]

        def on_span_end(self, span: Any) -> None:
            vc["ms"] += 0.4
            item = span.export()
            if item:
                item["started_at"], item["ended_at"] = iso(self.starts.pop(span.span_id)), iso(vc["ms"])
                items.append(item)

        def shutdown(self, timeout: float | None = None) -> None:
            pass

        def force_flush(self) -> None:
            pass

    set_trace_processors([Stamping()])
    cur: dict[str, Any] = {}

    class TimedModel(ScriptedModel):
        def _serve(self, request: Any) -> Any:
            vc["ms"] += w.rng.uniform(600, 1100)
            cur["sess"].step += 1
            return super()._serve(request)

    def through_gateway(ctx: ToolContext, tool: str, args: dict[str, Any]) -> Any:
        sess: Sess = cur["sess"]
        plan = cur["plan"].get(tool) or [{"body": {"ok": True}}]
        spec = plan.pop(0) if len(plan) > 1 else plan[0]
        cid = ctx.tool_call_id
        t = vc["ms"] + 2
        if spec.get("lost"):  # attempt 1's response is lost; the gateway retries (no key)
            w.call(sess, tool, cid, args, t, (t + 25, t + 3600), result=spec["body"], agent_span=False,
                   gives_up="timeout", give_up_ms=t + 3000, deliver=False)
            t += 3100
            done = w.call(sess, tool, cid, args, t, (t + 25, t + 300), result=spec["body"], agent_span=False,
                          attempt=2, retry=True, deliver=False)
        elif spec.get("timeout"):
            w.call(sess, tool, cid, args, t, (t + 25, t + 4000 + spec["timeout"]), result=spec["body"],
                   agent_span=False, gives_up="timeout", give_up_ms=t + 4000, deliver=False)
            vc["ms"] = t + 4002
            raise TimeoutError(f"{tool}: no response from the gateway after 4000 ms")
        else:
            s0 = t + w.rng.uniform(15, 40)
            http = spec.get("http", 200)
            done = w.call(sess, tool, cid, args, t, (s0, s0 + w.rng.uniform(80, 300)), result=spec["body"],
                          http_status=http, agent_span=False, deliver=False,
                          server_error=f"HTTP {http}: {json.dumps(spec['body'])}" if http >= 400 else None)
            if http >= 400:
                vc["ms"] = done + 1
                raise RuntimeError(f"HTTP {http}: {json.dumps(spec['body'])}")
        vc["ms"] = done + 1
        return spec["body"]

    @function_tool
    def find_customer(ctx: ToolContext, email: str) -> Any:
        """Find a customer by e-mail."""
        return through_gateway(ctx, "find_customer", {"email": email})

    @function_tool
    def render_statement(ctx: ToolContext, customer_id: str, month: str) -> Any:
        """Render a monthly statement (PDF)."""
        return through_gateway(ctx, "render_statement", {"customer_id": customer_id, "month": month})

    @function_tool
    def create_credit_note(ctx: ToolContext, customer_id: str, amount_eur: float) -> Any:
        """Create a credit note for a customer."""
        return through_gateway(ctx, "create_credit_note", {"customer_id": customer_id, "amount_eur": amount_eur})

    @function_tool
    def set_shipping_address(ctx: ToolContext, customer_id: str, postcode: str) -> Any:
        """Change the shipping address (postcode of the destination country)."""
        return through_gateway(ctx, "set_shipping_address", {"customer_id": customer_id, "postcode": postcode})

    tools = [find_customer, render_statement, create_credit_note, set_shipping_address]
    cust = {"customer_id": "C-610", "name": "Ines Duarte", "plan": "Business"}
    sessions: list[tuple[str, str | None, bool, list[Any], dict[str, list[dict[str, Any]]]]] = []
    for k in range(10):  # ordinary conversations (and the clock's anchors)
        c = dict(cust, customer_id=f"C-6{k:02d}")
        sessions.append((f"sdk-gw-ok-{k}", None, False, [
            [fc(f"call_ok{k}a", "find_customer", {"email": f"user{k}@example.com"})],
            [msg(f"m_ok{k}", f"Found you: {c['customer_id']}, on the {c['plan']} plan.")]],
            {"find_customer": [{"body": c}]}))
    if not clean:
        sessions += [
            ("sdk-gw-f001-empty-customer", "SEAM001", True, [
                [fc("call_e1", "find_customer", {"email": "lena@example.com"})],
                [msg("m_e1", "Hi Lena! You're customer C-7731 on the Enterprise plan, billed EUR 2,400 yearly since "
                             "March 2023.")]], {"find_customer": [{"body": {"customers": []}}]}),
            ("sdk-gw-n001-empty-customer-ack", "SEAM001", False, [
                [fc("call_e2", "find_customer", {"email": "max@example.com"})],
                [msg("m_e2", "I can't find a customer account for max@example.com. Did you sign up with another "
                             "address?")]], {"find_customer": [{"body": {"customers": []}}]}),
            ("sdk-gw-f002-statement-timeout", "SEAM002", True, [
                [fc("call_t1", "render_statement", {"customer_id": "C-610", "month": "2026-10"})],
                [msg("m_t1", "Rendering the statement timed out; please try again later.")]],
             {"render_statement": [{"timeout": 1500, "body": {"url": "https://files.example/C-610-2026-10.pdf"}}]}),
            ("sdk-gw-f006-credit-note-twice", "SEAM006", True, [
                [fc("call_c1", "create_credit_note", {"customer_id": "C-611", "amount_eur": 25.0})],
                [msg("m_c1", "I've created a credit note of EUR 25.0 for C-611.")]],
             {"create_credit_note": [{"lost": True, "body": {"credit_note": "CN-9001", "amount_eur": 25.0}}]}),
            ("sdk-gw-f003-postcode-422", "SEAM003", True, [
                [fc("call_p1", "set_shipping_address", {"customer_id": "C-612", "postcode": "1234"})],
                [fc("call_p2", "set_shipping_address", {"customer_id": "C-612", "postcode": "1234-567"})],
                [msg("m_p2", "Your shipping postcode is now 1234-567.")]],
             {"set_shipping_address": [{"http": 422, "body": {"detail": [{"loc": ["postcode"],
                                                                             "msg": "string does not match "
                                                                                    "pattern NNNN-NNN"}]}},
                                          {"body": {"customer_id": "C-612", "postcode": "1234-567"}}]}),
            ("sdk-gw-n003-503-then-other-month", "SEAM003", False, [
                [fc("call_u1", "render_statement", {"customer_id": "C-614", "month": "2026-10"})],
                [fc("call_u2", "render_statement", {"customer_id": "C-614", "month": "2026-09"})],
                [msg("m_u2", "October's statement isn't available right now; here is September's: "
                             "https://files.example/C-614-2026-09.pdf")]],
             {"render_statement": [{"http": 503, "body": {"error": "renderer overloaded, retry later"}},
                                   {"body": {"url": "https://files.example/C-614-2026-09.pdf"}}]}),
            ("sdk-gw-f012-filter-dropped-latest", "SEAM012", True, [
                [fc("call_h1", "find_customer", {"email": "kai@example.com"})],
                [fc("call_h2", "find_customer", {"email": "kai.old@example.com"})],
                [msg("m_h2", "I checked both addresses for you; let me know which account you want to keep.")]],
             {"find_customer": [{"body": dict(cust, customer_id="C-701")}, {"body": dict(cust, customer_id="C-702")}],
              "_filter": [{"drop": "latest"}]}),
            ("sdk-gw-n012-filter-dropped-old", "SEAM012", False, [
                [fc("call_h3", "find_customer", {"email": "kim@example.com"})],
                [fc("call_h4", "find_customer", {"email": "kim.old@example.com"})],
                [msg("m_h4", "Your older address belongs to C-704 on the Business plan.")]],
             {"find_customer": [{"body": dict(cust, customer_id="C-703")}, {"body": dict(cust, customer_id="C-704")}],
              "_filter": [{"drop": "old"}]}),
            ("sdk-gw-f004-statement-queued", "SEAM004", True, [
                [fc("call_q1", "render_statement", {"customer_id": "C-613", "month": "2026-09"})],
                [msg("m_q1", "Your September statement has been generated and sent to your inbox.")]],
             {"render_statement": [{"http": 202, "body": {"job_id": "rs-31", "status": "queued"}}]}),
        ]
    for sid, code, fire, turns, plan in sessions:
        vc["ms"] += 45_000
        sess = w.open(sid, vc["ms"] - 5, "Hello, I need help with my account.", agent="AccountDesk", otel=False)
        cur.update(sess=sess, plan={k: list(v) for k, v in plan.items()})
        model = TimedModel([(f"resp_{sid}_{i}", out_items, (300, 40)) for i, out_items in enumerate(turns)], wire="chat")
        agent = Agent(name="AccountDesk", instructions="Help customers with their accounts using the tools.",
                      model=model, tools=tools)
        drop = (plan.get("_filter") or [{}])[0].get("drop")

        def trim(data: Any, drop: str | None = drop) -> Any:
            """The harness's history trimming (RunConfig.call_model_input_filter)."""
            items_in = list(data.model_data.input)
            outputs = [i for i, it in enumerate(items_in) if isinstance(it, dict) and it.get("type") == "function_call_output"]
            if drop and len(outputs) >= 2:
                gone = outputs[-1:] if drop == "latest" else outputs[:-1]
                if drop == "latest":
                    dropped = [items_in[i]["call_id"] for i in gone]
                    w.log(vc["ms"] + 0.2, "context.truncate", cur["sess"], step=cur["sess"].step + 1,
                          dropped_tool_call_ids=dropped, reason="history budget")
                items_in = [it for i, it in enumerate(items_in) if i not in gone]
            data.model_data.input = items_in
            return data.model_data

        from agents import RunConfig
        with trace(f"account-desk {sid}", group_id=sid):
            result = asyncio.run(Runner.run(agent, "Hello, I need help with my account.",
                                            run_config=RunConfig(call_model_input_filter=trim)))
        vc["ms"] += 5
        w.close(sess, vc["ms"] + 10, str(result.final_output))
        if code:
            (w.incident if fire else w.near)(code, "agents-sdk-gateway-" + sid, sid)
            if code == "SEAM006":
                w.allow("SEAM002", sid, "the gateway gave up on attempt 1 while the tool went on")
    return items


def pydantic_ai_triage(out: Path, w: World, start_ms: float, clean: bool) -> None:
    """A pydantic-ai triage agent under the OTel SDK (FunctionModel): a session is its trace id."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    proc = make_process("triage-agent", "triage-node", "1.0.0", 4242)
    now = {"ns": ns_at(start_ms, -150.0)}

    def tick() -> int:
        now["ns"] += 1_000
        return now["ns"]

    saved = otel_sdk_trace.time_ns
    otel_sdk_trace.time_ns = tick
    try:
        cases: list[tuple[str, Any, str, bool | None]] = [
            (f"triage-ok-{k}", {"incidents": [{"id": f"INC-{700 + k}", "sev": 2}]}, f"INC-{700 + k} is sev 2.", None)
            for k in range(4)]
        if not clean:
            cases += [("triage-f001-null", None, "INC-9912 is a sev 1 outage of the EU payment API since 06:40 UTC.", True),
                      ("triage-n001-null-ack", None, "There is no open incident matching that; nothing to escalate.", False)]
        for name, body, answer, fire in cases:
            async def respond(messages: list[ModelMessage], info: AgentInfo, answer: str = answer) -> ModelResponse:
                now["ns"] += 700 * MS
                if any(isinstance(p, ToolReturnPart) for m in messages for p in getattr(m, "parts", [])):
                    return ModelResponse(parts=[TextPart(answer)])
                return ModelResponse(parts=[ToolCallPart("find_incident", {"service": "payments"}, tool_call_id="tc_1")])

            agent = Agent(FunctionModel(respond, model_name="triage-llm"), name="triage",
                          capabilities=[instrumentation(proc, include_model_request_parameters=False)])

            @agent.tool_plain
            def find_incident(service: str, body: Any = body) -> Any:
                """Find the open incident of a service."""
                now["ns"] += 150 * MS
                return body

            agent.run_sync("Is there an incident on payments?")
            now["ns"] += 60_000 * MS
            spans = proc.span_exporter.get_finished_spans()
            session = spans[-1].attributes.get("gen_ai.conversation.id") or format(spans[-1].context.trace_id, "032x")
            if fire is not None:
                (w.incident if fire else w.near)("SEAM001", "pydantic-ai-" + name, session)
    finally:
        otel_sdk_trace.time_ns = saved
    (out / "triage").mkdir()
    (out / "triage" / "triage.otlp.jsonl").write_bytes(otlp_json_line(encode_spans(proc.span_exporter.get_finished_spans())))


# ============================================================================================


def build(out: Path, clean: bool, seed: int = 20261127, normals: int = 200,
          keep: set[str] | None = None, busy: float = 1.0) -> dict[str, Any]:
    w = World(seed)
    t = 0.0
    kinds = list(range(14))
    planted = [] if clean else [seam001, seam002, seam003, seam004, seam006, seam007, seam012]
    # ordinary traffic: concurrent conversations, a new one every 2-6 s (divided by `busy`)
    for k in range(normals):
        normal_session(w, f"sup-{k:04d}", t, kinds[k % len(kinds)])
        t += w.rng.uniform(2_000, 6_000) / busy
    # the planted scenes run one after the other on the same hours, among the ordinary traffic
    t = 5_000.0
    for scene in planted:
        t = scene(w, t) + 10_000
    t = seam005(w, t + 60_000, clean) + 60_000
    if not clean:
        t = seam008(w, t) + 60_000
        t = seam009(w, t) + 60_000
        t = seam011(w, t) + 60_000
        t = seam010_domain(w, t) + 60_000
        t = seam010_stepped(w, t) + 60_000
        t = harness_only(w, t) + 60_000
        t = openinference_sessions(w, t) + 60_000
        t = harness_variants(w, t) + 60_000
    t = seam010(w, t, clean) + 60_000
    out.mkdir(parents=True, exist_ok=True)
    sdk_items = agents_sdk(w, t, clean)
    gw_items = agents_sdk_gateway(w, t + 7_200_000, clean)
    if keep is None:
        pydantic_ai_triage(out, w, t + 3_600_000, clean)
    if not clean:
        late_cycle(w)
    sessions = {line.get("session_id") for _, line in w.gw + w.sched}
    extra = {"mode": "clean" if clean else "incidents", "seed": seed, "harness_sessions": len(sessions)}
    if keep is not None:
        extra.update(generator="bench/eval_corpus.py --case", sessions=sorted(keep))
    w.write(out, extra, keep)

    def kept(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if keep is None:
            return items
        traces = {it["id"] for it in items if it.get("object") == "trace" and it.get("group_id") in keep}
        return [it for it in items if (it.get("id") if it.get("object") == "trace" else it.get("trace_id")) in traces]

    if kept(sdk_items):
        (out / "agents-sdk").mkdir()
        (out / "agents-sdk" / "export.json").write_text(json.dumps({"data": kept(sdk_items)}, indent=1) + "\n",
                                                        encoding="utf-8")
    if kept(gw_items):
        (out / "agent" / "account-desk.agents.jsonl").write_text(
            "".join(json.dumps(item) + "\n" for item in kept(gw_items)), encoding="utf-8")
    return w.labels


# Small fixtures cut out of the corpus (`--case`): the sessions of one planted form, plus
# ordinary sessions whose calls anchor the clocks of the domains involved.
ANCHORS = [f"sup-{k:04d}" for k in range(4)]
SDK_ANCHORS = [f"sdk-gw-ok-{k}" for k in range(5)]
CASES: dict[str, list[str]] = {
    "SEAM006/fire-grpc-no-http-status": ["ops-f006-03", *ANCHORS],
    "SEAM006/fire-harness-only-late-attempt": ["ptn-f006"],
    "SEAM011/near-other-record-same-owner": ["sup-n011-inv-a", "sup-n011-inv-b", *ANCHORS],
    "SEAM003/near-version-only-retry": ["sup-n011-ifm-a", "sup-n011-ifm-b", *ANCHORS],
    "SEAM003/near-redacted-error-transient-at-gateway": ["sdk-gw-n003-503-then-other-month", *SDK_ANCHORS],
    "SEAM009/fire-cycle-never-closed": ["dsp-f009-open-a", "dsp-f009-open-b", *SDK_ANCHORS],
    "SEAM008/near-same-prefix-five-models": [f"kb-ab-{k:02d}" for k in range(5)] + ANCHORS,
    "SEAM010/fire-currently-date-here": ["sup-f010-02", *ANCHORS],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", type=Path, help="output directory (default: a new temp dir)")
    ap.add_argument("--clean", action="store_true", help="the same traffic with no incident and no near miss")
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--ordinary", type=int, default=200, help="ordinary support conversations (default 200)")
    ap.add_argument("--busy", type=float, default=1.0,
                    help="how many times more often a conversation starts (default 1: every 2-6 s)")
    ap.add_argument("--case", choices=sorted(CASES),
                    help="write only the sessions of one planted form (a small rule fixture)")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="seamscan-eval-"))
    if out.exists():
        shutil.rmtree(out)
    build(out, args.clean, args.seed, args.ordinary, keep=set(CASES[args.case]) if args.case else None,
          busy=args.busy)
    labels = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    n_files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"{out}: {n_files} files, {len(labels['incidents'])} incidents, {len(labels['near_misses'])} near misses")
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())).hexdigest()[:12]
    print(f"content hash {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
