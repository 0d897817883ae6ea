"""Which wheels the host downloads for an image: its Python's version and ABI, and every manylinux
platform its glibc runs (pip does not expand manylinux_2_X to the older ones by itself)."""

from pytest_agentbench.sandbox import wheelhouse


def test_wheels_are_asked_for_every_manylinux_the_images_glibc_runs():
    target = wheelhouse.Target("3.11", "cpython", "x86_64", "glibc 2.36")
    args = target.pip_args()
    assert args[:8] == ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
                        "--abi", "cp311", "--platform"]
    platforms = target.platforms()
    assert platforms[0] == "manylinux_2_36_x86_64" and "manylinux_2_17_x86_64" in platforms
    assert "manylinux2014_x86_64" in platforms and "manylinux1_x86_64" in platforms
    assert "manylinux_2_37_x86_64" not in platforms

