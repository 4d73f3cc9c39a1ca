"""rhcore in a minute: a block becomes a Run, and the Run loads back from its folder.

    pip install . && python examples/quickstart.py      # README.md, Install
"""

import logging

import rhcore as rh

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

# 1. A `with` block becomes a Run: what it prints and logs is shown *and* saved.
with rh.run(name="quickstart") as r:
    print("preparing data...")
    logging.info("42 rows cleaned")

print(f"\nRun {r.name!r} is {r.status.value}; its folder is {r.path}")

# 2. Save it under its name, then load it back — by name, or from its folder.
r.save()
again = rh.run("quickstart")
from_folder = rh.run(path=r.path)
print(f"loaded back by name: {again.status.value}, from its folder: {from_folder.status.value}")
print(f"its stdout: {again.stdout()!r}")
print(f"its stderr: {again.stderr()!r}")
print(f"files in its folder: {[p.rsplit('/', 1)[-1] for p in again.folder.ls()]}")

# 3. A failing block is recorded as ERROR, with its traceback, and the error still raises.
try:
    with rh.run(name="quickstart-failure") as failed:
        raise ValueError("bad input")
except ValueError:
    pass
print(f"\nRun {failed.name!r} is {failed.status.value}: {failed.error}")

# 4. A function runs on a cluster (here: this machine, in a warm worker) and is cached by name.
def slow_square(x):
    print(f"computing {x} squared")
    return x * x

square = rh.function(slow_square)
print(f"\nsquare(7) = {square(7)}")
print(f"cached: {square.get_or_call(7, run_name='square-of-7')}, "
      f"again from the cache: {square.get_or_call(7, run_name='square-of-7')}")
print(f"its Run: {rh.cluster('local').get_run('square-of-7')}")
