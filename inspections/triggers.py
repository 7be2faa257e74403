"""Database triggers shared by the apps that hold an inspection's records."""

import pgtrigger


def locked_inspection_trigger(name: str, inspection_id: str) -> pgtrigger.Trigger:
    """Refuse any write to a row of a published, locked inspection, whatever the write path.

    `inspection_id` is the SQL expression that finds the row's inspection from
    the trigger's `rec` (NEW, or OLD for a delete). Updates that change nothing
    pass, so re-running an idempotent loader is harmless.
    """
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        when=pgtrigger.Before,
        declare=[("rec", "RECORD"), ("is_locked", "boolean")],
        func=f"""
            IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
                RETURN NEW;
            END IF;
            IF TG_OP = 'DELETE' THEN rec := OLD; ELSE rec := NEW; END IF;
            SELECT i.status = 'published' AND i.unlocked_at IS NULL INTO is_locked
              FROM inspections_inspection i WHERE i.id = ({inspection_id});
            IF is_locked THEN
                RAISE EXCEPTION 'the inspection is published and locked: unlock it with a reason first'
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'inspection_locked';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        """,
    )


def audited():
    """pghistory trackers for every write: inserts, updates and deletes, each with who and why.

    A function, not a constant, so each model gets trackers of its own.
    """
    import pghistory

    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


def append_only_trigger(name: str) -> pgtrigger.Trigger:
    """A log whose rows are never changed or removed, whoever asks (the owner's TRUNCATE aside)."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Update | pgtrigger.Delete,
        when=pgtrigger.Before,
        func="""
            RAISE EXCEPTION 'this log is append-only: its rows cannot be changed or deleted'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'log_append_only';
        """,
    )


def stamp_transaction_trigger(name: str) -> pgtrigger.Trigger:
    """Stamp each new row with its top-level transaction, so other triggers can ask "logged in this transaction?"."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert,
        when=pgtrigger.Before,
        func="NEW.transaction_id := txid_current(); RETURN NEW;",
    )


# Publishing, unlocking, relocking and republishing are the only ways an inspection's
# publication columns move, and each writes a lock event (who, why) first in the same
# transaction; a bare UPDATE, by the ORM or by SQL, finds none and is refused.
INSPECTION_PUBLICATION_GUARD = """
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION 'inspection % is published: it cannot be deleted', OLD.reference
                USING ERRCODE = 'check_violation', CONSTRAINT = 'inspection_published_kept';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD IS NOT DISTINCT FROM NEW OR OLD.status <> 'published' AND NEW.status <> 'published' THEN
        RETURN NEW;
    END IF;
    IF OLD.status = 'published' AND NEW.status <> 'published' THEN
        RAISE EXCEPTION 'inspection % is published: it cannot be moved back to %', OLD.reference, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'inspection_published_kept';
    END IF;
    IF (OLD.reference, OLD.pdu_id, OLD.framework_id) IS DISTINCT FROM (NEW.reference, NEW.pdu_id, NEW.framework_id)
       AND OLD.status = 'published' THEN
        RAISE EXCEPTION 'inspection % is published: its reference, PDU and framework cannot change', OLD.reference
            USING ERRCODE = 'check_violation', CONSTRAINT = 'inspection_published_identity';
    END IF;
    IF (OLD.status, OLD.published_on, OLD.unlocked_at)
       IS DISTINCT FROM (NEW.status, NEW.published_on, NEW.unlocked_at) THEN
        IF NOT EXISTS (
            SELECT 1 FROM inspections_lockevent e WHERE e.inspection_id = NEW.id AND e.transaction_id = txid_current()
        ) THEN
            RAISE EXCEPTION 'inspection %: publication and its lock change only by a lead, with a reason', OLD.reference
                USING ERRCODE = 'check_violation', CONSTRAINT = 'inspection_lock_change_logged';
        END IF;
    ELSIF OLD.unlocked_at IS NULL
          AND (to_jsonb(OLD) - 'updated_at') IS DISTINCT FROM (to_jsonb(NEW) - 'updated_at') THEN
        RAISE EXCEPTION 'the inspection is published and locked: unlock it with a reason first'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'inspection_locked';
    END IF;
    RETURN NEW;
"""


def inspection_publication_trigger() -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name="inspection_publication_guard",
        operation=pgtrigger.Update | pgtrigger.Delete,
        when=pgtrigger.Before,
        func=INSPECTION_PUBLICATION_GUARD,
    )
