"""The sandbox: the real AWS provider pointed at an AWS emulator running inside this botship process.

Nothing leaves the machine and no account is needed; what is deployed lives as long as the
process that started the emulator (or as long as an emulator named by BOTSHIP_SANDBOX_URL).
"""
