"""The emulator's entry point: ``python tests/emulator/sagefence_moto.py --port N``.

The emulator is the package ``sagefence_emulator`` beside this file; see README.md.
"""

from sagefence_emulator.server import main

if __name__ == "__main__":
    main()
