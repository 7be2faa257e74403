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
