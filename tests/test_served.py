"""vae_core/served.py: in served mode a typed folder, and the data a checkpoint names, stay inside the data folder
(or the uploads folder), whatever the trick."""

import os
import tempfile

import pytest

from vae_core.served import PathRefused, confine, data_dir, is_served, server_folder, server_spec, server_text_path
from vae_core.uploads import save_upload, upload_folder


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


# --- a checkpoint's data spec (server_spec): what the pages other than Train read ---

SERVED = {"LATENT_LAB_SERVED": "1"}


def test_specs_pass_unchanged_locally_and_for_built_in_sets(data):
    assert server_spec("idx:/etc", {}) == "idx:/etc"  # local: the user owns the machine
    env = {**SERVED, "LATENT_LAB_DATA_DIR": str(data)}
    for spec in ("mnist", "digits", "shapes:32", "grammar", "pydoc", "mnist-bin"):
        assert server_spec(spec, env) == spec


def test_a_spec_inside_the_data_folder_is_resolved(data):
    env = {**SERVED, "LATENT_LAB_DATA_DIR": str(data)}
    assert server_spec("idx:mnist", env) == f"idx:{(data / 'mnist').resolve()}"
    assert server_spec(f"idx:{data / 'mnist'}", env) == f"idx:{(data / 'mnist').resolve()}"


@pytest.mark.parametrize("spec", ["idx:/etc", "idx:../secret", "npz:../secret/passwd", "folder:/",
                                  "text:/etc/passwd", "idx:mnist/../../secret"])
def test_a_spec_outside_the_data_folder_is_refused(data, spec):
    env = {**SERVED, "LATENT_LAB_DATA_DIR": str(data)}
    with pytest.raises(PathRefused) as exc:
        server_spec(spec, env)
    assert str(exc.value) == (f"its data {spec!r} is outside the server's data folder; a served app reads only "
                              "the data folder and uploads (retrain it on the Train page, or move its data into "
                              "the data folder)")
    assert str(data) not in str(exc.value)


def test_without_a_data_folder_only_uploads_are_read(data, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    upload = save_upload(b"not checked here")
    assert upload.parent == upload_folder()
    assert server_spec(f"npz:{upload}", SERVED) == f"npz:{upload.resolve()}"
    with pytest.raises(PathRefused, match="names a path on the server, and this server reads no folders"):
        server_spec(f"idx:{data / 'mnist'}", SERVED)
    os.symlink(data.parent / "secret" / "passwd", upload_folder() / "link.npz")  # a link out of the uploads
    with pytest.raises(PathRefused, match="reads no folders"):
        server_spec(f"npz:{upload_folder() / 'link.npz'}", SERVED)


def test_a_text_path_is_confined_like_a_folder_and_a_file_inside_is_fine(data):
    (data / "lines.txt").write_text("a b\n")
    env = {"LATENT_LAB_SERVED": "1", "LATENT_LAB_DATA_DIR": str(data)}
    assert server_text_path("/etc/passwd", {}) == "/etc/passwd"  # local: the user's own machine
    assert server_text_path("lines.txt", env) == str((data / "lines.txt").resolve())
    with pytest.raises(PathRefused, match="outside"):
        server_text_path("../secret/passwd", env)
    with pytest.raises(PathRefused, match="reads no files from its disk: upload a .txt"):
        server_text_path("lines.txt", {"LATENT_LAB_SERVED": "1"})
