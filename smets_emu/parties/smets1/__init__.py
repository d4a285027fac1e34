"""SMETS1 devices behind a SMETS1 Service Provider (S1SP), reached through a minimal DSP."""
