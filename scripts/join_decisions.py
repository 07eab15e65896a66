"""Where the story engine's joins go wrong, by kind, on the hand-labelled days (teacher-forced).

    .venv/bin/python scripts/join_decisions.py              # every gold slice
    .venv/bin/python scripts/join_decisions.py --full-day   # every outlet of each gold day, gold articles counted

Each gold article is decided against the engine's candidates as `StoryEngine.decide` weighs them (the member
floor, then the model's cut), with every earlier article already in its gold story (`train_join.forced_steps`),
and counted as one of:

    new ok           no earlier gold mate, and no candidate passes
    join ok          the most probable passing candidate is its gold story
    not candidate    its gold story was begun, but the index did not offer it
    not near         offered, but no kept member is MEMBER_FLOOR close (the single-link guard keeps it out)
    under cut        close enough, but the model gives it less than the cut
    wrong story      another story passes and wins
    false join       no earlier gold mate, yet some story passes

It leaves out the gates, the incident hub and the floor bypass, and, being teacher-forced, the cascade of a false
join: a rule that this table says would add right joins must still be measured with `eval_dev.py` (a join tier past
the member floor looked +100 decisions here and cost 07-21's whole day 0.012).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_join import Slice, forced_steps  # noqa: E402

from eval_dev import gold_files  # noqa: E402
from rasd.cluster import MEMBER_FLOOR, JoinModel, closeness, default_model, signals  # noqa: E402

KINDS = ("new ok", "join ok", "not candidate", "not near", "under cut", "wrong story", "false join")


def decisions(sl: Slice, model: JoinModel) -> Counter:
    """The kinds of decision (above) of one gold day's articles."""
    kinds: Counter = Counter()
    for aid, feats, target, engine in forced_steps(sl, model):
        if aid in sl.gold:  # a full day's other articles are placed (each alone), not counted
            kinds[_kind(engine, feats, model, target)] += 1
    return kinds


def _kind(engine, feats, model: JoinModel, target: int | None) -> str:
    candidates = engine.candidates(feats)
    close = dict(zip((story.id for story in candidates), closeness(feats, candidates)))
    near = [story for story in candidates if max(close[story.id]) >= MEMBER_FLOOR]
    # the engine's order: most probable first, the older story on a tie
    best = min(((-model.probability(signals(feats, story, engine.burst, None, close[story.id])), story.id)
                for story in near), default=None)
    joins = best is not None and -best[0] >= model.cut
    if target is None:
        return "false join" if joins else "new ok"
    if target not in close:
        return "not candidate"
    if target not in {story.id for story in near}:
        return "not near"
    if not joins:
        return "under cut"
    return "join ok" if best[1] == target else "wrong story"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-day", action="store_true", help="ingest every outlet of each gold day")
    args = parser.parse_args()
    model, total = default_model(), Counter()
    print("day         " + "  ".join(f"{kind:>13}" for kind in KINDS))
    for path in gold_files():
        kinds = decisions(Slice(path, full_day=args.full_day), model)
        total += kinds
        print(f"{path.stem[4:14]}  " + "  ".join(f"{kinds[kind]:>13}" for kind in KINDS))
    print("all         " + "  ".join(f"{total[kind]:>13}" for kind in KINDS))


if __name__ == "__main__":
    main()
