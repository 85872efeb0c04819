"""``python -m sagefence_emulator --port N``: the emulator server."""

from sagefence_emulator.server import main

if __name__ == "__main__":
    main()
