"""Customers' writes: accounts (sign-up, sign-in and its cart merge, password reset) and the
loyalty ledger (earn, redeem, reverse, expire, adjust)."""
