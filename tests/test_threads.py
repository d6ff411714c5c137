"""Torch threads that fit the work: one for small models, the cgroup's share otherwise, --threads N."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dldoctor import threads
from dldoctor.errors import UsageError


@pytest.fixture(autouse=True)
def restore_threads():
    before = torch.get_num_threads()
    yield
    threads._request.clear()
    torch.set_num_threads(before)


def test_a_cgroup_v2_quota_caps_the_usable_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert threads.cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert threads.cgroup_quota(tmp_path) is None


def test_a_cgroup_v1_quota_is_read_and_minus_one_means_unlimited(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000")
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("300000")
    assert threads.cgroup_quota(tmp_path) == 3.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1")
    assert threads.cgroup_quota(tmp_path) is None


def test_small_models_get_one_thread_and_large_ones_their_share_of_the_cores(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    assert threads.default_threads(50_000) == 1
    assert threads.default_threads(threads.SMALL_MODEL) == 8
    assert threads.default_threads(threads.SMALL_MODEL, share=3) == 2


def test_automatic_threads_settle_once_the_model_is_known_and_a_count_given_is_kept(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    small = nn.Linear(4, 3)
    threads.configure(None)
    threads.fit(small)
    assert torch.get_num_threads() == 1
    threads.configure(2)
    threads.fit(small)
    assert torch.get_num_threads() == 2 and threads.requested() == 2


def test_library_callers_who_never_configure_keep_torchs_setting():
    torch.set_num_threads(2)
    threads.fit(nn.Linear(4, 3))
    assert torch.get_num_threads() == 2


def test_a_thread_count_below_one_is_refused_with_exit_2(make_recipe, cli):
    with pytest.raises(UsageError, match="--threads"):
        threads.configure(0)
    path = make_recipe('recipe = dd.Recipe(name="t", model=make_model, data=make_data, **OPTIONS)')
    result = cli("lr-find", path, "--threads", "0")
    assert result.code == 2 and "--threads must be a positive integer" in result.stderr
