"""vae_core/served.py: in served mode a typed folder stays inside the data folder, whatever the trick."""

import os

import pytest

from vae_core.served import PathRefused, confine, data_dir, is_served, server_folder, server_text_path


@pytest.fixture
def data(tmp_path):
    """A data folder with one dataset folder, and a secret beside it."""
    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    (root / "mnist" / "train-images-idx3-ubyte").write_bytes(b"ok")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "passwd").write_text("root:x")
    return root


def test_a_folder_inside_is_resolved_and_allowed(data):
    assert confine("mnist", data) == (data / "mnist").resolve()
    assert confine(str(data / "mnist"), data) == (data / "mnist").resolve()  # absolute, but inside
    assert confine("mnist/../mnist", data) == (data / "mnist").resolve()


@pytest.mark.parametrize("path", ["/etc", "/", "..", "../secret", "mnist/../../secret", "./../data/../secret",
                                  "/proc/self/environ"])
def test_paths_outside_are_refused(data, path):
    with pytest.raises(PathRefused, match="is outside the server's data folder"):
        confine(path, data)


def test_a_tilde_is_a_name_not_the_home_folder(data):
    assert confine("~", data) == (data / "~").resolve()


def test_a_symlink_out_of_the_folder_is_refused(data):
    os.symlink(data.parent / "secret", data / "looks-inside")
    with pytest.raises(PathRefused, match="'looks-inside' is outside the server's data folder"):
        confine("looks-inside", data)
    os.symlink("/etc", data / "etc")
    with pytest.raises(PathRefused, match="outside"):
        confine("etc", data)


def test_a_file_linking_out_of_the_folder_is_refused(data):
    os.symlink(data.parent / "secret" / "passwd", data / "mnist" / "train-labels-idx1-ubyte")
    with pytest.raises(PathRefused, match="holds 'train-labels-idx1-ubyte', which leads outside"):
        confine("mnist", data)


def test_a_symlink_that_stays_inside_is_fine(data):
    os.symlink(data / "mnist", data / "digits-alias")
    assert confine("digits-alias", data) == (data / "mnist").resolve()


def test_messages_do_not_show_the_servers_paths(data):
    with pytest.raises(PathRefused) as exc:
        confine("../secret", data)
    assert str(data) not in str(exc.value)


def test_empty_and_nul_paths_are_refused(data):
    for path in ("", "  ", "mnist\0/etc"):
        with pytest.raises(PathRefused, match="give a folder inside"):
            confine(path, data)


def test_settings_come_from_the_environment(data):
    assert not is_served({}) and not is_served({"LATENT_LAB_SERVED": "0"})
    assert is_served({"LATENT_LAB_SERVED": "1"}) and is_served({"LATENT_LAB_SERVED": "true"})
    assert data_dir({}) is None and data_dir({"LATENT_LAB_DATA_DIR": str(data)}) == data


def test_local_mode_reads_what_the_user_typed(data):
    assert server_folder("/etc", {}) == "/etc"  # the user owns the machine


def test_served_mode_confines_or_reads_nothing(data):
    env = {"LATENT_LAB_SERVED": "1", "LATENT_LAB_DATA_DIR": str(data)}
    assert server_folder("mnist", env) == str((data / "mnist").resolve())
    with pytest.raises(PathRefused, match="outside"):
        server_folder("/etc", env)
    with pytest.raises(PathRefused, match="reads no folders from its disk: upload an .npz"):
        server_folder("mnist", {"LATENT_LAB_SERVED": "1"})


def test_a_text_path_is_confined_like_a_folder_and_a_file_inside_is_fine(data):
    (data / "lines.txt").write_text("a b\n")
    env = {"LATENT_LAB_SERVED": "1", "LATENT_LAB_DATA_DIR": str(data)}
    assert server_text_path("/etc/passwd", {}) == "/etc/passwd"  # local: the user's own machine
    assert server_text_path("lines.txt", env) == str((data / "lines.txt").resolve())
    with pytest.raises(PathRefused, match="outside"):
        server_text_path("../secret/passwd", env)
    with pytest.raises(PathRefused, match="reads no files from its disk: upload a .txt"):
        server_text_path("lines.txt", {"LATENT_LAB_SERVED": "1"})
