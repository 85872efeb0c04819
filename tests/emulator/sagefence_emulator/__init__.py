"""moto's server with the AWS behaviour sagefence depends on filled in.

Each addition to moto is one entry of :data:`sagefence_emulator.registry.ADDITIONS`, in the
module of its AWS service, naming the operation, what moto does, what changes and the AWS
documentation page it follows; :func:`sagefence_emulator.registry.install` applies them all at
start-up. Test controls live under ``/_sagefence/`` (:mod:`sagefence_emulator.controls`).
"""
