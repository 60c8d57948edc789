"""ConfigClient's calls for a fleet's differences: experiments, gradual rollouts and targeting
(docs/targeting.md), a mixin of ConfigClient over its `_call`."""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from .json_object import JsonObject, json_dict


def dicts(answer: Any, name: str) -> list[dict[str, Any]]:
    """The list of objects an answer holds under `name`."""
    return list(JsonObject(answer, name).records(name, lambda item: json_dict(item, name)))


def context_query(context: Mapping[str, Any] | None) -> dict[str, str] | None:
    """A context as the `context` query parameter (JSON)."""
    return None if context is None else {"context": json.dumps(dict(context))}


class FleetCalls:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError  # ConfigClient's

    # -- experiments ---------------------------------------------------------------------
    def start_experiment(self, key: str, variants: list[Mapping[str, Any]], *,
                         unit: str = "client_id", salt: str | None = None,
                         layer: str | None = None,
                         audience: list[Mapping[str, Any]] | None = None,
                         coverage: float = 1.0, metrics: list[str] | None = None
                         ) -> dict[str, Any]:
        """Start an experiment on `key`; variants are {name, value, weight}, the first is
        control. Returns the experiment, with its id and bucket ranges."""
        return json_dict(self._call("POST", "/experiments", body={
            "key": key, "variants": list(variants), "unit": unit, "salt": salt, "layer": layer,
            "audience": audience, "coverage": coverage, "metrics": metrics}), "experiment")

    def experiments(self, page: int = 1, page_size: int = 100) -> list[dict[str, Any]]:
        """Experiments, newest first."""
        return dicts(self._call("GET", "/experiments", params={
            "page": page, "page_size": page_size}), "experiments")

    def experiment(self, experiment_id: int) -> dict[str, Any]:
        return json_dict(self._call("GET", f"/experiments/{experiment_id}"), "experiment")

    def change_experiment(self, experiment_id: int, *, coverage: float | None = None,
                          weights: Mapping[str, float] | None = None) -> dict[str, Any]:
        """Raise coverage or change weights; Conflict if that would move exposed units."""
        return json_dict(self._call("PATCH", f"/experiments/{experiment_id}", body={
            "coverage": coverage, "weights": None if weights is None else dict(weights)}),
            "experiment")

    def send_events(self, experiment_id: int, exposures: Iterable[str] = (),
                    metrics: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """Report exposures (units) and observations ({unit, metric, value})."""
        return json_dict(self._call("POST", f"/experiments/{experiment_id}/events", body={
            "exposures": list(exposures), "metrics": list(metrics)}), "events")

    def experiment_results(self, experiment_id: int) -> dict[str, Any]:
        """Per variant exposures and metrics against control, and the sample-ratio check."""
        return json_dict(self._call("GET", f"/experiments/{experiment_id}/results"), "results")

    def conclude_experiment(self, experiment_id: int, winner: str) -> dict[str, Any]:
        """The winner's value becomes the runtime value; the experiment ends."""
        return json_dict(self._call("POST", f"/experiments/{experiment_id}/conclude",
                                    body={"winner": winner}), "experiment")

    # -- rollouts ------------------------------------------------------------------------
    def start_rollout(self, changes: Mapping[str, Any], steps: list[Mapping[str, Any]], *,
                      unit: str = "client_id", health: list[Mapping[str, Any]] | None = None,
                      on_breach: str = "rollback", salt: str | None = None) -> dict[str, Any]:
        """Start a gradual rollout of `changes` ({key: value}) over `steps` ([{percent,
        hold_s}], the last 100); `health` rules ({metric, op, threshold, window_s,
        min_samples}) roll it back (or pause it) when the new cohort's mean breaks one."""
        return json_dict(self._call("POST", "/rollouts", body={
            "changes": dict(changes), "steps": [dict(s) for s in steps], "unit": unit,
            "health": [dict(h) for h in health or ()], "on_breach": on_breach, "salt": salt}),
            "rollout")

    def rollouts(self, page: int = 1, page_size: int = 100) -> list[dict[str, Any]]:
        """Rollouts, newest first."""
        return dicts(self._call("GET", "/rollouts", params={
            "page": page, "page_size": page_size}), "rollouts")

    def rollout(self, rollout_id: int) -> dict[str, Any]:
        """One rollout: status, step, percent, next step time, each health rule's figures."""
        return json_dict(self._call("GET", f"/rollouts/{rollout_id}"), "rollout")

    def control_rollout(self, rollout_id: int, action: str) -> dict[str, Any]:
        """`action` is pause, resume or abort (abort rolls every cohort back)."""
        return json_dict(self._call("POST", f"/rollouts/{rollout_id}/{action}"), "rollout")

    def send_rollout_events(self, rollout_id: int, exposures: Iterable[str] = (),
                            metrics: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """Report observations ({unit, metric, value}) as for experiments; the server puts
        each unit in its cohort (exposures are accepted and not kept)."""
        return json_dict(self._call("POST", f"/rollouts/{rollout_id}/events", body={
            "exposures": list(exposures), "metrics": list(metrics)}), "events")

    # -- targeting -----------------------------------------------------------------------
    def explain(self, key: str, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """`key`'s value for `context`, and the layer, rule or experiment that decided it."""
        return json_dict(self._call("GET", f"/values/{key}/explain", params=context_query(context)),
                         "explanation")

    def targeting(self, key: str) -> list[dict[str, Any]]:
        """`key`'s targeting rules, in order."""
        return dicts(self._call("GET", f"/values/{key}/targeting"), "rules")

    def put_targeting(self, key: str, rules: list[Mapping[str, Any]] | None, *,
                      description: str | None = None) -> list[dict[str, Any]]:
        """Replace `key`'s targeting rules ([] or None removes them); returns them."""
        answer = (self._call("DELETE", f"/values/{key}/targeting") if not rules else
                  self._call("PUT", f"/values/{key}/targeting",
                             body={"rules": list(rules), "description": description}))
        return dicts(answer, "rules")
