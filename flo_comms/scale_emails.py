"""The communications of a scale database: planned as numbers, written in chunks.

flo_comms.scale plans every communication as one row of small numbers (when,
which candidate, which member, which template...) in an ``EmailPlan``. Once
the plan is whole it is sorted by the time each entry was logged, so that ids
grow with time as they do when members log entries one after another, and is
then turned, a chunk at a time, into the rows the domain functions write: the
communication itself, its participants (names and addresses as they were), the
candidates whose tab shows it and, for system emails, the delivery.

Texts are rendered once per template with two markers, standing for the
candidate's first name and the signing member's name, and filled in per row
with array operations: "Hello \\x01," becomes "Hello Dana," for each row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flo_comms.communications import CommunicationType, ParticipantRole, Source
from flo_comms.jobs import ApplicationStatus
from flo_comms.system_emails import DeliveryState, EmailKind

FIRST_NAME = "\x01"
SENDER_NAME = "\x02"
_MARKER = re.compile(f"({FIRST_NAME}|{SENDER_NAME})")
MAX_MARKERS = 4

# Codes stored in the plan; 0 means "none" wherever an id or a kind is optional.
MANUAL, JOB, DIRECT, EVENT = 0, 1, 2, 3
KINDS: list[str | None] = [None, *(kind.value for kind in EmailKind)]
KIND_CODE = {kind: code for code, kind in enumerate(KINDS) if kind}
STATUSES: list[str | None] = [None, *(status.value for status in ApplicationStatus)]
STATUS_CODE = {status: code for code, status in enumerate(STATUSES) if status}
COMM_TYPES = [t.value for t in CommunicationType]
EMAIL_TYPE = COMM_TYPES.index(CommunicationType.EMAIL.value)

# One column per fact of an entry: name -> dtype. Ids are 0 when absent.
PLAN_COLUMNS = {
    "occurred": np.int64,  # microseconds since 1970, UTC
    "lag": np.int64,  # logged this long after it happened (manual entries)
    "category": np.int8,  # MANUAL, JOB, DIRECT or EVENT
    "kind": np.int16,  # index into KINDS
    "comm_type": np.int8,  # index into COMM_TYPES
    "candidate": np.int32,  # the candidate it concerns (or logged from)
    "member": np.int32,  # logged_by: the member who logged it or acted
    "signer": np.int32,  # whose name signs the text (0: the system)
    "reply": np.int32,  # the member replies go to (system emails)
    "template": np.int32,
    "job": np.int32,
    "application": np.int32,
    "event": np.int32,
    "status": np.int8,  # index into STATUSES: the status a job email announced
    "agency_contact": np.int32,  # the agency contact it went to instead
    "extra": np.int8,  # further candidates in "sent to" (manual entries)
    "colleague": np.int32,  # a second sender (manual) or a cc (direct emails)
}
MICROSECOND = 1
SECOND = 1_000_000 * MICROSECOND


class Templates:
    """Subjects and bodies with markers, each stored once."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}
        self.texts: list[tuple[str, str]] = []

    def add(self, subject: str, body: str) -> int:
        key = (subject, body)
        if key not in self._ids:
            self._ids[key] = len(self.texts)
            self.texts.append(key)
        return self._ids[key]

    def parts(self) -> tuple[_Parts, _Parts]:
        return _Parts.of([s for s, _ in self.texts]), _Parts.of(
            [b for _, b in self.texts]
        )


@dataclass(frozen=True)
class _Parts:
    """Each text cut at its markers: pieces[i][t] and markers[i][t] of template t."""

    pieces: list[np.ndarray]
    markers: list[np.ndarray]

    @classmethod
    def of(cls, texts: list[str]) -> _Parts:
        pieces = [np.full(len(texts), "", dtype=object) for _ in range(MAX_MARKERS + 1)]
        markers = [np.zeros(len(texts), dtype=np.int8) for _ in range(MAX_MARKERS)]
        for t, text in enumerate(texts):
            # "Hello \x01," -> ["Hello ", "\x01", ","]: pieces and markers alternate.
            cut = _MARKER.split(text)
            if len(cut) > 2 * MAX_MARKERS + 1:
                raise ValueError(f"template {t} names people too often")
            for i, piece in enumerate(cut[0::2]):
                pieces[i][t] = piece
            for i, marker in enumerate(cut[1::2]):
                markers[i][t] = 1 if marker == FIRST_NAME else 2
        return cls(pieces, markers)

    def fill(
        self, templates: np.ndarray, first: np.ndarray, sender: np.ndarray
    ) -> np.ndarray:
        text = self.pieces[0][templates]
        for i in range(MAX_MARKERS):
            marker = self.markers[i][templates]
            if marker.any():
                name = np.where(marker == 1, first, np.where(marker == 2, sender, ""))
                text = text + name
            text = text + self.pieces[i + 1][templates]
        return text


class EmailPlan:
    """Every communication to write, as columns of numbers, grown batch by batch."""

    def __init__(self) -> None:
        self._batches: dict[str, list[np.ndarray]] = {c: [] for c in PLAN_COLUMNS}
        self.count = 0

    def add(self, rows: int, **columns: object) -> np.ndarray:
        """Add ``rows`` entries; return their positions in the plan.

        Each column is a value for all rows or an array of one per row; columns
        not named are 0.
        """
        unknown = set(columns) - set(PLAN_COLUMNS)
        if unknown:
            raise ValueError(f"no plan column {sorted(unknown)[0]!r}")
        for name, dtype in PLAN_COLUMNS.items():
            value = columns.get(name, 0)
            array = np.asarray(value, dtype=dtype)
            if array.ndim == 0:
                array = np.full(rows, array, dtype=dtype)
            if len(array) != rows:
                raise ValueError(f"{name}: {len(array)} values for {rows} rows")
            self._batches[name].append(array)
        positions = np.arange(self.count, self.count + rows, dtype=np.int64)
        self.count += rows
        return positions

    def build(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate(batches) if batches else np.empty(0, dtype=dtype)
            for (name, batches), dtype in zip(
                self._batches.items(), PLAN_COLUMNS.values(), strict=True
            )
        }


def in_logging_order(plan: dict[str, np.ndarray]) -> tuple[dict, np.ndarray]:
    """The plan sorted by when each entry was logged; and each old row's new id."""
    order = np.lexsort((plan["occurred"], plan["occurred"] + plan["lag"]))
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.arange(1, len(order) + 1)
    return {name: column[order] for name, column in plan.items()}, ids


@dataclass
class People:
    """Names and addresses by id (index 0 is "nobody"), for filling rows in."""

    member_names: np.ndarray
    member_emails: np.ndarray
    candidate_names: np.ndarray
    candidate_first_names: np.ndarray
    candidate_emails: np.ndarray
    contact_names: np.ndarray
    contact_emails: np.ndarray
    job_cc: np.ndarray
    job_bcc: np.ndarray
    from_address: str
    system_name: str


@dataclass
class ChunkRows:
    """The rows of one chunk of the plan, a frame per table."""

    communications: pd.DataFrame
    participants: pd.DataFrame
    attachments: pd.DataFrame
    deliveries: pd.DataFrame
    history: pd.DataFrame = field(default_factory=pd.DataFrame)


def _times(microseconds: np.ndarray) -> pd.Series:
    return pd.Series(microseconds.astype("datetime64[us]")).dt.tz_localize("UTC")


def _optional_times(microseconds: np.ndarray, present: np.ndarray) -> pd.Series:
    times = _times(microseconds)
    return times.where(present)


def _optional_ids(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="Int64").where(values > 0)


def _texts(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object)


@dataclass
class Chunker:
    """Turns slices of the sorted plan into rows, keeping each table's next id."""

    plan: dict[str, np.ndarray]
    people: People
    subjects: _Parts
    bodies: _Parts
    now: int
    seed: int
    next_participant: int = 1
    next_delivery: int = 1
    next_history: int = 1

    def rows(self, start: int, stop: int) -> ChunkRows:
        rng = np.random.default_rng([self.seed, start])
        p = {name: column[start:stop] for name, column in self.plan.items()}
        ids = np.arange(start + 1, stop + 1, dtype=np.int64)
        manual = p["category"] == MANUAL
        extras = self._extra_candidates(rng, p)
        edited, deleted = self._changes(rng, manual)
        communications = self._communications(rng, p, ids, manual, edited, deleted)
        participants = self._participants(p, ids, manual, extras)
        attachments = self._attachments(p, ids, manual, extras)
        deliveries = self._deliveries(rng, p, ids, ~manual)
        history = self._history(
            communications, participants, attachments, edited, deleted
        )
        return ChunkRows(communications, participants, attachments, deliveries, history)

    def _extra_candidates(self, rng: np.random.Generator, p: dict) -> np.ndarray:
        """Up to two further candidates per manual entry, all distinct: (n, 2)."""
        total = len(self.people.candidate_names) - 1
        primary = p["candidate"].astype(np.int64)
        extras = np.zeros((len(primary), 2), dtype=np.int64)
        if total < 3:
            return extras
        half = total // 2
        first = (primary - 1 + rng.integers(1, half, len(primary))) % total + 1
        second = (primary - 1 + rng.integers(half, total, len(primary))) % total + 1
        extras[:, 0] = np.where(p["extra"] >= 1, first, 0)
        extras[:, 1] = np.where(p["extra"] >= 2, second, 0)
        return extras

    def _changes(
        self, rng: np.random.Generator, manual: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        # A few manual entries were corrected afterwards, fewer withdrawn.
        draw = rng.random(len(manual))
        return manual & (draw < 0.002), manual & (draw >= 0.002) & (draw < 0.003)

    def _communications(
        self,
        rng: np.random.Generator,
        p: dict,
        ids: np.ndarray,
        manual: np.ndarray,
        edited: np.ndarray,
        deleted: np.ndarray,
    ) -> pd.DataFrame:
        first = self.people.candidate_first_names[p["candidate"]]
        signer = self.people.member_names[p["signer"]]
        logged = p["occurred"] + p["lag"]
        changed = np.minimum(
            logged + rng.integers(60, 14 * 86_400, len(ids)) * SECOND, self.now
        )
        tokens = np.array(
            [f"{value:032x}" for value in rng.integers(0, 2**62, len(ids))],
            dtype=object,
        )
        return pd.DataFrame(
            {
                "id": ids,
                "source": np.where(manual, Source.MANUAL.value, Source.SYSTEM.value),
                "comm_type": _texts(np.array(COMM_TYPES, dtype=object)[p["comm_type"]]),
                "email_kind": _texts(np.array(KINDS, dtype=object)[p["kind"]]),
                "subject": _texts(self.subjects.fill(p["template"], first, signer)),
                "body": _texts(self.bodies.fill(p["template"], first, signer)),
                "occurred_at": _times(p["occurred"]),
                "job_id": _optional_ids(p["job"]),
                "application_id": _optional_ids(p["application"]),
                "event_id": _optional_ids(p["event"]),
                "job_status": _texts(np.array(STATUSES, dtype=object)[p["status"]]),
                "logged_by": _optional_ids(p["member"]),
                "logged_at": _times(logged),
                "updated_at": _optional_times(changed, edited),
                "deleted_at": _optional_times(changed, deleted),
                # The form's token: every entry logged from the page carries one.
                "form_token": _texts(np.where(manual, tokens, None)),
            }
        )

    def _participants(
        self, p: dict, ids: np.ndarray, manual: np.ndarray, extras: np.ndarray
    ) -> pd.DataFrame:
        people = self.people
        parts = []

        def add(mask, role, position, *, member=None, candidate=None, contact=None):
            if not mask.any():
                return
            rows = {
                "communication_id": ids[mask],
                "role": role.value,
                "position": position,
                "member_id": np.zeros(mask.sum(), dtype=np.int64),
                "candidate_id": np.zeros(mask.sum(), dtype=np.int64),
                "agency_contact_id": np.zeros(mask.sum(), dtype=np.int64),
            }
            if member is not None:
                rows["member_id"] = member[mask]
                rows["name"] = people.member_names[member[mask]]
                rows["address"] = people.member_emails[member[mask]]
            elif candidate is not None:
                rows["candidate_id"] = candidate[mask]
                rows["name"] = people.candidate_names[candidate[mask]]
                rows["address"] = people.candidate_emails[candidate[mask]]
            else:
                rows["agency_contact_id"] = contact[mask]
                rows["name"] = people.contact_names[contact[mask]]
                rows["address"] = people.contact_emails[contact[mask]]
            parts.append(pd.DataFrame(rows))

        system = ~manual
        by_member = p["member"] > 0
        second_sender = manual & (p["colleague"] > 0) & (p["colleague"] != p["member"])
        add(by_member, ParticipantRole.SENDER, 0, member=p["member"])
        add(second_sender, ParticipantRole.SENDER, 1, member=p["colleague"])
        if (system & ~by_member).any():
            count = int((system & ~by_member).sum())
            parts.append(
                pd.DataFrame(
                    {
                        "communication_id": ids[system & ~by_member],
                        "role": ParticipantRole.SENDER.value,
                        "position": 0,
                        "member_id": np.zeros(count, dtype=np.int64),
                        "candidate_id": np.zeros(count, dtype=np.int64),
                        "agency_contact_id": np.zeros(count, dtype=np.int64),
                        "name": people.system_name,
                        "address": people.from_address,
                    }
                )
            )
        to_agency = system & (p["agency_contact"] > 0)
        add(~to_agency, ParticipantRole.TO, 0, candidate=p["candidate"])
        add(to_agency, ParticipantRole.TO, 0, contact=p["agency_contact"])
        add(manual & (extras[:, 0] > 0), ParticipantRole.TO, 1, candidate=extras[:, 0])
        add(manual & (extras[:, 1] > 0), ParticipantRole.TO, 2, candidate=extras[:, 1])
        job_cc = people.job_cc[p["job"]]
        job_bcc = people.job_bcc[p["job"]]
        add((p["category"] == JOB) & (job_cc > 0), ParticipantRole.CC, 0, member=job_cc)
        add(
            (p["category"] == JOB) & (job_bcc > 0),
            ParticipantRole.BCC,
            0,
            member=job_bcc,
        )
        add(
            (p["category"] == DIRECT) & (p["colleague"] > 0),
            ParticipantRole.CC,
            0,
            member=p["colleague"],
        )
        frame = pd.concat(parts, ignore_index=True)
        role_order = frame["role"].map(
            {role.value: i for i, role in enumerate(ParticipantRole)}
        )
        order = np.lexsort((frame["position"], role_order, frame["communication_id"]))
        frame = frame.iloc[order].reset_index(drop=True)
        frame.insert(0, "id", np.arange(len(frame)) + self.next_participant)
        self.next_participant += len(frame)
        for column in ("member_id", "candidate_id", "agency_contact_id"):
            frame[column] = _optional_ids(frame[column].to_numpy())
        frame["name"] = _texts(frame["name"].to_numpy())
        frame["address"] = _texts(frame["address"].to_numpy())
        return frame

    def _attachments(
        self, p: dict, ids: np.ndarray, manual: np.ndarray, extras: np.ndarray
    ) -> pd.DataFrame:
        frames = [
            pd.DataFrame(
                {
                    "candidate_id": p["candidate"],
                    "communication_id": ids,
                    "reason": np.where(manual, "logged_from", "concerns"),
                }
            )
        ]
        for column in (0, 1):
            mask = manual & (extras[:, column] > 0)
            frames.append(
                pd.DataFrame(
                    {
                        "candidate_id": extras[mask, column],
                        "communication_id": ids[mask],
                        "reason": "recipient",
                    }
                )
            )
        frame = pd.concat(frames, ignore_index=True)
        return frame.sort_values(
            ["communication_id", "candidate_id"], ignore_index=True
        )

    def _deliveries(
        self, rng: np.random.Generator, p: dict, ids: np.ndarray, system: np.ndarray
    ) -> pd.DataFrame:
        count = int(system.sum())
        occurred = p["occurred"][system]
        reply = self.people.member_emails[p["reply"][system]]
        draw = rng.random(count)
        # What the dispatcher has made of them by now: the last half hour's are
        # still queued, about one in seventy failed for good, the rest went out.
        queued = occurred > self.now - 1_800 * SECOND
        failed = ~queued & (draw < 0.015)
        sent = ~queued & ~failed
        claimed = occurred + rng.integers(1, 30, count) * SECOND
        frame = pd.DataFrame(
            {
                "id": np.arange(count) + self.next_delivery,
                "communication_id": ids[system],
                "state": np.select(
                    [queued, failed],
                    [DeliveryState.QUEUED.value, DeliveryState.FAILED.value],
                    DeliveryState.SENT.value,
                ),
                "from_address": self.people.from_address,
                "reply_to": _texts(reply),
                "attempts": np.select([queued, failed], [0, 6], 1),
                "next_attempt_at": _optional_times(occurred, queued),
                "last_error": _texts(
                    np.where(
                        failed,
                        "Gave up after 6 attempts. The server refused the "
                        "recipient (550 mailbox unavailable).",
                        None,
                    )
                ),
                "message_id": _texts(
                    np.where(
                        queued,
                        None,
                        np.char.add(
                            np.char.add("<", ids[system].astype(str)),
                            ".scale@flo-scale.test>",
                        ).astype(object),
                    )
                ),
                "delivered_to": _texts(np.where(sent, "smtp.flo-scale.test:587", None)),
                "sent_at": _optional_times(claimed + SECOND, sent),
                "created_at": _times(occurred),
                "claimed_at": _optional_times(claimed, ~queued),
            }
        )
        self.next_delivery += count
        return frame

    def _history(
        self,
        communications: pd.DataFrame,
        participants: pd.DataFrame,
        attachments: pd.DataFrame,
        edited: np.ndarray,
        deleted: np.ndarray,
    ) -> pd.DataFrame:
        """One history row per corrected or withdrawn entry: the entry before."""
        changed = edited | deleted
        if not changed.any():
            return pd.DataFrame()
        rows = communications[changed]
        people = participants[participants["communication_id"].isin(rows["id"])]
        by_entry = {key: group for key, group in people.groupby("communication_id")}
        attached = attachments[attachments["communication_id"].isin(rows["id"])]
        tabs = {key: group for key, group in attached.groupby("communication_id")}
        records = []
        for row, was_edited in zip(
            rows.itertuples(index=False), edited[changed], strict=True
        ):
            group = by_entry.get(row.id)
            previous = {
                "comm_type": row.comm_type,
                "subject": row.subject,
                "body": row.body,
                "occurred_at": row.occurred_at.isoformat(),
                "participants": []
                if group is None
                else [
                    {
                        "role": person.role,
                        "name": person.name,
                        "address": person.address,
                        "member_id": None
                        if pd.isna(person.member_id)
                        else int(person.member_id),
                        "candidate_id": None
                        if pd.isna(person.candidate_id)
                        else int(person.candidate_id),
                    }
                    for person in group.itertuples(index=False)
                ],
            }
            previous["attached_to"] = [
                {"candidate_id": int(a.candidate_id), "reason": a.reason}
                for a in tabs[row.id].itertuples(index=False)
            ]
            when = row.updated_at if was_edited else row.deleted_at
            records.append(
                {
                    "id": self.next_history,
                    "communication_id": row.id,
                    "action": "edit" if was_edited else "delete",
                    "changed_by": int(row.logged_by),
                    "changed_at": when,
                    "previous": json.dumps(previous),
                }
            )
            self.next_history += 1
        return pd.DataFrame(records)
