"""The filing deadline as locust plays it (run by ``benchmarks/deadline.py``, in its own process).

Enterprise users sign in through the login page, then file executions of their month through
the API and submit each one; now and then they open the home page (the "trivial" request, the
cost a submission is compared with). District reviewers sign in with their password and the code
of their authenticator (production requires it of officials) and approve what waits in their
queue. A submission counts as acknowledged when the server answered it 200; the numbers are
written to ``SOMS_LOAD_ACK`` when the run ends, to be compared with what the database holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import threading
import time
from typing import Any

from django_otp.oath import totp
from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("SOMS_LOAD_PASSWORD", "")
FIRMS = int(os.environ.get("SOMS_LOAD_FIRMS", "200"))
DISTRICTS = json.loads(os.environ.get("SOMS_LOAD_DISTRICTS", "[]"))
TOTP_KEYS: dict[str, str] = json.loads(os.environ.get("SOMS_LOAD_TOTP", "{}"))
TODAY = dt.date.today()
_firms = itertools.count()
_reviewers = itertools.count()
_lock = threading.Lock()
acknowledged: list[tuple[int, str]] = []


def _login(user: HttpUser, username: str) -> None:
    user.client.get("/accounts/login/", name="login page")
    token = user.client.cookies.get("csrftoken", "")
    with user.client.post(
        "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{user.host}/accounts/login/"},
        name="login",
        allow_redirects=False,
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"login of {username} answered {response.status_code}")


def _post(user: HttpUser, path: str, body: dict[str, Any], name: str) -> Any:
    return user.client.post(
        path,
        json=body,
        headers={"X-CSRFToken": user.client.cookies.get("csrftoken", "")},
        name=name,
    )


class Enterprise(HttpUser):
    """A filer at a person's pace on the deadline day: a record every 5 to 15 seconds."""

    weight = 20
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.number = next(_firms) % FIRMS
        self.filed = 0
        _login(self, f"load-firm-{self.number}")

    @task(4)
    def file_and_submit(self) -> None:
        self.filed += 1
        no = f"E-{self.number}-{self.filed}-{random.randrange(10**9)}"
        created = _post(
            self,
            "/api/v1/filing/execution/",
            {
                "contract_no": "C-1",
                "execution_no": no,
                "executed_on": f"{TODAY:%Y-%m-%d}",
                "currency": "CNY",
                "amount": f"{random.randrange(10_000, 900_000)}.00",
            },
            "file",
        )
        if created.status_code != 201:
            return
        record = created.json()
        submitted = _post(
            self,
            f"/api/v1/filing/execution/{record['id']}/submit",
            {"comment": "load test", "version": record["version"]},
            "submit",
        )
        if submitted.status_code == 200:
            with _lock:
                acknowledged.append((record["id"], no))

    @task(1)
    def trivial(self) -> None:
        self.client.get("/", name="trivial")


def _second_factor(user: HttpUser, username: str) -> None:
    """The code of the reviewer's authenticator. A code is taken once: a second locust user of
    the same reviewer within the same 30 seconds waits for the next code, as a person would."""
    key = bytes.fromhex(TOTP_KEYS[username])
    for _attempt in range(4):
        user.client.get("/accounts/two-factor/verify/", name="two-factor page")
        with user.client.post(
            "/accounts/two-factor/verify/",
            data={
                "token": f"{totp(key):06d}",
                "csrfmiddlewaretoken": user.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{user.host}/accounts/two-factor/verify/"},
            name="two-factor code",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                return
            response.success()  # the code of this window was used: the next one
        time.sleep(30 - time.time() % 30 + 1)
    raise RuntimeError(f"no code of {username} was accepted")


class Reviewer(HttpUser):
    """One per district: each approves its own queue (two would race for the same records)."""

    fixed_count = len(DISTRICTS)
    wait_time = between(1, 2)

    def on_start(self) -> None:
        code = DISTRICTS[next(_reviewers) % len(DISTRICTS)]
        _login(self, f"load-reviewer-{code}")
        _second_factor(self, f"load-reviewer-{code}")

    @task
    def approve(self) -> None:
        queue = self.client.get("/api/v1/review/queue?kind=execution&limit=20", name="queue")
        if queue.status_code != 200:
            return
        for item in queue.json().get("items", []):
            _post(
                self,
                f"/api/v1/review/execution/{item['id']}/approve",
                {"version": item["version"]},
                "approve",
            )


@events.quitting.add_listener
def _write_acknowledged(environment: Any, **_kwargs: Any) -> None:
    path = os.environ.get("SOMS_LOAD_ACK")
    if path:
        with open(path, "w") as handle:
            json.dump(acknowledged, handle)
