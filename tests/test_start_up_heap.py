"""The dashboard's process freezes what start-up left on the heap, once.

Run in a process of its own: freezing is once per process, and the test
process may have frozen its heap already (every page test starts the app).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc
    import weakref

    from flo_comms.startup import freeze_start_up_heap

    def tracked(thing):
        return any(candidate is thing for candidate in gc.get_objects())

    class Node:
        pass

    before = Node()
    before.me = before  # a cycle: only the collector could free it
    dropped = Node()
    dropped.me = dropped
    dropped_ref = weakref.ref(dropped)
    del dropped
    freeze_start_up_heap()
    after = Node()
    freeze_start_up_heap()

    print(gc.get_freeze_count() > 0, tracked(before), tracked(after))
    print(dropped_ref() is not None)
    """
)


def test_start_up_objects_leave_the_collector_and_later_ones_stay_in_it():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )

    frozen_some, before_tracked, after_tracked = done.stdout.split()[:3]
    # Frozen: the object made before start-up ended is no longer walked by
    # the collector; one made after the first call is, even after a second call.
    assert (frozen_some, before_tracked, after_tracked) == ("True", "False", "True")
    # The garbage of start-up was collected, not frozen with the rest.
    assert done.stdout.split()[3] == "False"
