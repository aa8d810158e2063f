"""``aftersales dispatch``: the routing core on standard benchmark instances."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from aftersales.dispatch.benchmarks import solomon
from aftersales.dispatch.planning import routing

app = typer.Typer(help="Dispatch and routing.", no_args_is_help=True)


@app.command("solve-vrptw")
def solve_vrptw(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Solomon-format instance")],
    seconds: Annotated[float, typer.Option(min=0.1, max=3600, help="time limit for the solver")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Solve a VRPTW instance; the distance sums every arc truncated to one decimal."""
    try:
        instance = solomon.load(path)
    except solomon.InstanceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    routes = routing.solve_solomon(instance, seconds=seconds)
    problems = solomon.check(instance, routes)
    if problems:
        typer.echo("error: infeasible solution: " + "; ".join(problems), err=True)
        raise typer.Exit(1)
    distance = round(sum(solomon.route_distance(instance, route) for route in routes), 1)
    result = {"instance": instance.name, "vehicles": len(routes), "distance": distance, "routes": routes}
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(f"{instance.name}: {len(routes)} vehicles, distance {distance}")
        for index, route in enumerate(routes, start=1):
            typer.echo(f"  {index:>2}: {' '.join(str(number) for number in route)}")


@app.command("simulate")
def simulate(
    scenario: Annotated[str, typer.Option(help="demo, or a scenario JSON file")] = "demo",
    policy: Annotated[str, typer.Option(help="optimized | nearest | round_robin")] = "optimized",
    days: Annotated[int, typer.Option(min=1, max=30)] = 1,
    seed: Annotated[int, typer.Option()] = 7,
    technicians: Annotated[int, typer.Option(min=1, max=500, help="demo scenario only")] = 40,
    jobs: Annotated[int, typer.Option(min=1, max=5000, help="demo scenario: jobs per day")] = 420,
    seconds: Annotated[float, typer.Option(min=0.5, max=600, help="solver time per day (optimized)")] = 10.0,
) -> None:
    """Replay generated requests under a policy; prints one JSON object."""
    from aftersales.dispatch.benchmarks import simulation

    if policy not in ("optimized", "nearest", "round_robin"):
        typer.echo(f"error: unknown policy {policy!r} (optimized | nearest | round_robin)", err=True)
        raise typer.Exit(2)
    if scenario == "demo":
        world = simulation.generate(technicians=technicians, jobs_per_day=jobs, days=days, seed=seed)
    else:
        try:
            world = simulation.load_file(Path(scenario).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as error:
            typer.echo(f"error: cannot read scenario {scenario}: {error}", err=True)
            raise typer.Exit(2) from None
    typer.echo(json.dumps(simulation.run(world, policy=policy, seconds=seconds), ensure_ascii=False))
