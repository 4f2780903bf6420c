"""The dataset registry: names, usual folder names, splits, subsets, sources and download addresses."""

from __future__ import annotations

from dataclasses import dataclass, field

from fusionbench.errors import UnknownNameError

TNO25 = ("01", "02", "03", "04", "06", "07", "08", "12", "13", "14", "17", "19", "20", "21", "26", "29",
         "30", "32", "35", "36", "38", "39", "40", "41", "42")
ROADSCENE50 = (
    "FLIR_00211", "FLIR_00977", "FLIR_01130", "FLIR_04269", "FLIR_04424", "FLIR_04484", "FLIR_04512",
    "FLIR_04593", "FLIR_04688", "FLIR_04722", "FLIR_04943", "FLIR_05005", "FLIR_05064", "FLIR_05105",
    "FLIR_05857", "FLIR_05879", "FLIR_05893", "FLIR_05914", "FLIR_05955", "FLIR_06282", "FLIR_06325",
    "FLIR_06392", "FLIR_06430", "FLIR_06506", "FLIR_06570", "FLIR_06795", "FLIR_06974", "FLIR_06993",
    "FLIR_06995", "FLIR_07190", "FLIR_07206", "FLIR_07209", "FLIR_07555", "FLIR_07732", "FLIR_07786",
    "FLIR_07809", "FLIR_07968", "FLIR_07970", "FLIR_08021", "FLIR_08058", "FLIR_08094", "FLIR_08202",
    "FLIR_08248", "FLIR_08284", "FLIR_08526", "FLIR_08592", "FLIR_08721", "FLIR_08858", "FLIR_09465",
    "FLIR_video_02829")

# named file lists usable with --subset on any dataset
SUBSETS = {
    "tno25": TNO25,  # CDDFuse test_img/TNO, as tno42 file stems
    "roadscene50": ROADSCENE50,  # CDDFuse test_img/RoadScene
}


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset.

    ``folders`` are the folder names looked for under a data root (case-insensitive, first match
    wins); ``subset`` restricts the pairs to a named list of :data:`SUBSETS`.
    """

    name: str
    title: str
    folders: tuple
    pairs: str  # expected size of the full set, in words
    source: str
    citation: str
    splits: tuple = ()
    default_split: str | None = None
    subset: str | None = None
    url: str | None = None
    sha256: str | None = None
    archive_subdir: str | None = None  # glob of the dataset folder inside the downloaded archive
    # (regex, template) rules placing each archive file (see fusionbench.datasets.manifest.apply_layout);
    # they take precedence over archive_subdir
    layout: tuple = ()
    licence: str = "unknown (no licence file)"
    notes: str = ""
    aliases: tuple = field(default_factory=tuple)


DATASETS = {s.name: s for s in (
    DatasetSpec(
        "msrs", "MSRS (multi-spectral road scenarios)", ("msrs", "msrs_samples"),
        "1,083 train / 361 test pairs, 480x640", "GitHub Linfeng-Tang/MSRS",
        "L. Tang et al., PIAFusion, Information Fusion 83-84, 2022",
        splits=("train", "test"), default_split="test",
        url="https://github.com/Linfeng-Tang/MSRS/archive/refs/heads/main.zip", archive_subdir="MSRS-*",
        notes="IR gray PNG, visible RGB PNG; the archive is ~670 MB"),
    DatasetSpec(
        "tno42", "TNO, 42-pair set of Tang's evaluation code", ("tno42", "tno", "tno_42"),
        "42 pairs, 17 sizes (three-channel PNG, R = G = B)",
        "GitHub Linfeng-Tang/Image-Fusion @ dba5bf3, General Evaluation Metric/Image/Source-Image/TNO",
        "A. Toet, The TNO Multiband Image Data Collection, Data in Brief 15, 2017",
        url="https://github.com/Linfeng-Tang/Image-Fusion/archive/"
            "dba5bf3d507e09227993ca9743776bf05ce35c51.zip",
        layout=((r"[^/]+/General Evaluation Metric/Image/Source-Image/TNO/(ir|vi)/([^/]+)", "{0}/{1}"),
                (r"[^/]+/General Evaluation Metric/Image/Algorithm/([^/]+)_TNO/([^/]+)", "fused/{0}/{1}")),
        licence="CC BY 4.0 (TNO collection)", aliases=("tno",),
        notes="with the 9 methods' fused images (fused/<method>/) scored by Tang's MATLAB code"),
    DatasetSpec(
        "tno25", "TNO-25 (CDDFuse test_img/TNO), a subset of tno42", ("tno42", "tno", "tno_42"),
        "25 pairs", "tno42 restricted to the CDDFuse list", "as tno42", subset="tno25",
        licence="CC BY 4.0 (TNO collection)"),
    DatasetSpec(
        "tno21", "TNO-21 (DenseFuse-era set)", ("tno21", "tno_21"), "21 pairs, 8-bit gray PNG",
        "GitHub thfylsty/Classic-and-state-of-the-art-image-fusion-methods @ 5d9457d, IV_images",
        "A. Toet, Data in Brief 15, 2017; H. Li and X.-J. Wu, DenseFuse, IEEE TIP 28(5), 2019",
        url="https://github.com/thfylsty/Classic-and-state-of-the-art-image-fusion-methods/archive/"
            "5d9457df396f1ea6921e1b9b3703995205940862.zip",
        layout=((r"[^/]+/ResNet_ZCA_Image_Fusion_Codes/IV_images/IR/IR(\d+)\.png", "ir/{0:02d}.png"),
                (r"[^/]+/ResNet_ZCA_Image_Fusion_Codes/IV_images/VIS/VIS(\d+)\.png", "vi/{0:02d}.png")),
        licence="CC BY 4.0 (TNO collection)"),
    DatasetSpec(
        "roadscene", "RoadScene (FLIR, size-matched LR visible)", ("roadscene",),
        "221 pairs", "GitHub hanna-xu/RoadScene @ ab71420 (cropinfrared, crop_LR_visible)",
        "H. Xu et al., U2Fusion, IEEE TPAMI 44(1), 2022",
        url="https://github.com/hanna-xu/RoadScene/archive/ab71420f8fc96396eeb97eecf3694909b3feb656.zip",
        layout=((r"[^/]+/cropinfrared/([^/]+\.jpg)", "ir/{0}"),
                (r"[^/]+/crop_LR_visible/([^/]+\.jpg)", "vi/{0}")),  # the archive also holds a Thumbs.db
        notes="pair cropinfrared/ with crop_LR_visible/ (same size), never with crop_HR_visible/"),
    DatasetSpec(
        "roadscene50", "RoadScene-50 (CDDFuse test_img/RoadScene)", ("roadscene",), "50 pairs",
        "roadscene restricted to the CDDFuse list", "as roadscene", subset="roadscene50"),
    DatasetSpec(
        "m3fd", "M3FD fusion set", ("m3fd", "m3fd_fusion"), "300 pairs (fusion set)",
        "TarDAL project (JinyuanLiu-CV/TarDAL); download links only, no checksummed archive",
        "J. Liu et al., TarDAL, CVPR 2022", notes="layout Ir/ and Vis/; not redistributable here"),
    DatasetSpec(
        "llvip", "LLVIP (low-light visible-infrared pairs)", ("llvip", "llvip_samples"),
        "12,025 train / 3,463 test pairs, 1024x1280 JPEG", "GitHub bupt-ai-cz/LLVIP",
        "X. Jia et al., LLVIP, ICCV Workshops 2021", splits=("train", "test"), default_split="test",
        licence="non-commercial use only (LLVIP terms of use)",
        notes="release layout infrared/{train,test} and visible/{train,test} is recognised"),
    DatasetSpec(
        "vifb", "VIFB benchmark inputs", ("vifb",), "21 pairs, JPEG (input/IR, input/VI)",
        "GitHub xingchenzhang/VIFB @ 22b2ea9", "X. Zhang, P. Ye, G. Xiao, VIFB, CVPRW 2020",
        url="https://github.com/xingchenzhang/VIFB/archive/22b2ea9d91499cc5962d9bdcae9c290270f0fade.zip",
        layout=((r"[^/]+/input/(IR|VI)/([^/]+)", "input/{0}/{1}"),
                (r"[^/]+/output/fused_images/((?![^/]*_MST_SR\.)[^/]+)", "fused/{0}")),
        notes="17 of the 21 IR files are three-channel JPEGs; evaluate with profile vifb; with the 25 "
              "methods' fused images (fused/<image>_<method>.jpg; the old name MST_SR, a copy of "
              "LP_SR, is left out)"),
)}


def get_spec(name: str) -> DatasetSpec:
    """Look a dataset up by name or alias (case-insensitive); unknown names list the known ones."""
    key = name.lower()
    if key in DATASETS:
        return DATASETS[key]
    for spec in DATASETS.values():
        if key in spec.aliases:
            return spec
    raise UnknownNameError("dataset", name, list(DATASETS) + [a for s in DATASETS.values() for a in s.aliases])


def list_datasets() -> list:
    return list(DATASETS.values())
