"""The policy in force is checked by every matter before a writing command runs."""

import subprocess
import sys

import yaml

from tests.conftest import REPO


def test_a_broken_matter_block_is_refused_naming_the_file_and_block(env):
    policy = yaml.safe_load((REPO / "onematter" / "policy" / "policy.yaml").read_text(encoding="utf-8"))
    del policy["incentive"]["rate_yuan"]
    broken = env / "policy.yaml"
    broken.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    import os
    done = subprocess.run([sys.executable, "-m", "onematter.cli", "init-db"], capture_output=True, text=True,
                          env={**os.environ, "ONEMATTER_POLICY_FILE": str(broken)}, timeout=120)
    assert done.returncode == 1
    assert "政策数据有误" in done.stderr and str(broken) in done.stderr and "incentive" in done.stderr
    assert not (env / "data" / "onematter.db").exists()        # nothing done under a broken policy
