"""A proposal's command line is read as click reads it (the security review, brief B4): a word that is an option's
value is never taken for the command's subject or for another option, or the approval limit and the summary an
approver reads could be those of another co-op or member."""

from __future__ import annotations

import click
import pytest

from ledger.approvals.argv import FLAGS, option, positionals
from ledger.approvals.rules import FOUR_EYES, needs_approval


def _command(path):
    from cli.main import cli

    command = cli
    for word in path.split():
        command = command.commands[word]
    return command


@pytest.mark.parametrize("path", sorted(FOUR_EYES))
def test_the_flag_table_is_the_clis_own(path):
    params = [p for p in _command(path).params if isinstance(p, click.Option)]
    flags = {name for p in params if p.is_flag for name in p.opts}
    assert FLAGS[path] == frozenset(flags) - {"--help"}


@pytest.mark.parametrize("path", sorted(FOUR_EYES))
def test_every_option_of_a_command_under_four_eyes_is_spelt_long(path):
    """`option()` reads `--amount` and `--on`: a short alias would be a second spelling it does not see."""
    for param in _command(path).params:
        if isinstance(param, click.Option):
            assert all(o.startswith("--") for o in [*param.opts, *param.secondary_opts]), param.opts


def test_a_prior_period_reason_is_not_the_subject():
    argv = ["reserve", "spend", "--prior-period", "hillside", "riverside", "--amount", "900"]
    assert positionals(argv) == ["riverside"]
    assert positionals(["correct", "--prior-period", "12", "--reason", "typo"]) == ["12"]


def test_an_amount_inside_another_options_value_is_not_the_amount():
    argv = ["reserve", "spend", "riverside", "--amount", "900", "--purpose", "--amount=10", "--on", "2026-02-10"]
    assert option(argv, "--amount") == "900"
    from decimal import Decimal

    assert needs_approval(argv, Decimal("500")) is not None


def test_after_a_double_dash_every_word_is_an_argument():
    assert positionals(["member", "leave", "--on", "2026-10-01", "--", "carol"]) == ["carol"]


def test_the_canonical_line_leaves_out_only_what_click_reads_as_the_runners_options():
    from ledger.approvals.argv import canonical

    argv = ["reserve", "spend", "riverside", "--amount=10", "--purpose", "--json", "--amount", "900", "--json",
            "--actor", "jo", "--actor=jo", "--db", "sqlite:///x"]
    assert canonical(argv) == ["reserve", "spend", "riverside", "--amount=10", "--purpose", "--json", "--amount",
                               "900"]
    assert canonical(["--db", "sqlite:///x", "member", "leave", "bob"]) == ["member", "leave", "bob"]
    assert canonical(["member", "leave", "--", "--json"]) == ["member", "leave", "--", "--json"]
