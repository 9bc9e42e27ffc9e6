"""Short voice samples for demo storefronts, made at seed time.

With espeak-ng installed (scripts/ensure-system-deps installs it), each demo provider
greets in Japanese in a voice that suits the storefront; the lines are written in kana,
which espeak-ng reads. Without it, a soft two-note chime (a small WAV made here) stands in,
so the player on the page still has something to play. Both are deterministic.
"""

from __future__ import annotations

import io
import math
import random
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

GREETINGS = (
    "はじめまして。ゆっくり、おはなし きかせてくださいね。",
    "こんばんは。きょうも いちにち、おつかれさまでした。",
    "なんでも きがるに はなしてください。さいごまで ききますよ。",
    "はなしたいときに、いつでも こえを かけてくださいね。",
    "まとまっていなくても だいじょうぶです。いっしょに せいりしましょう。",
    "こんにちは。あなたの ペースで、のんびり はなしましょう。",
)
ESPEAK_VOICES = {"f": ("ja+f2", "ja+f3", "ja+f4"), "m": ("ja+m2", "ja+m3", "ja+m1")}
RATE = 16000


def _espeak(text: str, voice: str, pitch: int) -> bytes | None:
    program = shutil.which("espeak-ng")
    if program is None:
        return None
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "voice.wav"
        try:
            subprocess.run(  # noqa: S603 — fixed program, arguments are ours
                [program, "-v", voice, "-s", "140", "-p", str(pitch), "-w", str(out), text],
                check=True,
                capture_output=True,
                timeout=20,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.read_bytes() if out.exists() else None


def chime() -> bytes:
    """Two soft bell notes, about a second and a half (16 kHz mono WAV, ~48 kB)."""
    frames = bytearray()
    for freq, start, length in ((659.25, 0.0, 1.0), (880.0, 0.45, 1.05)):
        begin = int(start * RATE)
        while len(frames) // 2 < begin + int(length * RATE):
            frames += b"\x00\x00"
        for i in range(int(length * RATE)):
            t = i / RATE
            value = 0.28 * math.exp(-3.2 * t) * math.sin(2 * math.pi * freq * t)
            at = (begin + i) * 2
            mixed = int.from_bytes(frames[at : at + 2], "little", signed=True) + int(value * 32767)
            frames[at : at + 2] = max(-32768, min(32767, mixed)).to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes(bytes(frames))
    return out.getvalue()


def sample(rng: random.Random, gender: str) -> bytes:
    """A WAV greeting for one storefront (gender "f", "m" or "" for either)."""
    voices = ESPEAK_VOICES.get(gender) or ESPEAK_VOICES[rng.choice("fm")]
    voice = rng.choice(voices)
    pitch = rng.randint(40, 60)
    spoken = _espeak(rng.choice(GREETINGS), voice, pitch)
    return spoken if spoken is not None else chime()
