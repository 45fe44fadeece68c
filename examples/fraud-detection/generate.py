#!/usr/bin/python3
"""Generates both fraud-detection example projects, deterministically.

    /usr/bin/python3 examples/fraud-detection/generate.py      (from the repository root, after `npm run build`)

Run it with Debian's /usr/bin/python3 (python3-numpy, python3-sklearn, python3-joblib). It writes:

examples/fraud-detection/              the healthy project: `bulwark check` passes
  data/train.csv                       training transactions (label: is_fraud)
  data/reference.csv                   the training period, as the drift baseline
  data/current.csv                     a later period from the same distribution (no drift)
  model/model.joblib                   a GradientBoostingClassifier in a scikit-learn Pipeline, saved with joblib
  model/model.sig                      its OpenSSF model-signing bundle, made with `bulwark sign`
  keys/ml-release.pub.pem              the PUBLIC key that verifies it (the private key is thrown away)

examples/fraud-detection-compromised/  the same project with real problems planted
  model/model.joblib                   replaced AFTER signing by a pickle whose REDUCE calls
                                       os.system('echo bulwark-inert-fixture') -- written opcode by opcode,
                                       never unpickled here or anywhere else
  model/model.sig                      the signature of the ORIGINAL model (so verification fails)
  data/train.csv                       leaks customer e-mail addresses and card numbers (PII)
  data/current.csv                     drifted: larger amounts, other countries, night-time, card-not-present

The signing key is ephemeral: a fresh P-256 key pair per run, the private half deleted before the script
ends. ECDSA signatures are randomised, so model.sig (and the public key) change on every run; everything
else is byte-for-byte reproducible from the fixed seeds below.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COMPROMISED = os.path.join(os.path.dirname(HERE), 'fraud-detection-compromised')
BULWARK = os.path.join(ROOT, 'dist', 'cli', 'bin.js')

MERCHANT_CATEGORIES = ['grocery', 'fuel', 'restaurant', 'electronics', 'travel', 'online_retail', 'pharmacy', 'entertainment']
COUNTRIES = ['GB', 'DE', 'FR', 'NL', 'ES', 'IT', 'IE', 'SE']
DEVICES = ['chip_reader', 'contactless', 'mobile_app', 'web_browser']
COLUMNS = ['transaction_id', 'amount', 'merchant_category', 'country', 'hour', 'card_present', 'customer_age',
           'account_age_days', 'device', 'transactions_last_24h', 'is_fraud']
NUMERIC = ['amount', 'hour', 'card_present', 'customer_age', 'account_age_days', 'transactions_last_24h']
CATEGORICAL = ['merchant_category', 'country', 'device']
FEATURES = NUMERIC + CATEGORICAL


def transactions(rng, n, first_id, drifted=False):
    """Synthetic card transactions; fraud is more likely for large, night-time, card-not-present, young accounts."""
    if drifted:
        # A later period after a product launch abroad: bigger baskets, other markets, mostly online at night.
        amount = np.round(rng.lognormal(mean=4.6, sigma=1.1, size=n), 2)
        country = rng.choice(['US', 'BR', 'IN', 'NG', 'GB'], size=n, p=[0.35, 0.2, 0.2, 0.15, 0.1])
        hour = rng.choice(24, size=n, p=_night_heavy_hours())
        card_present = (rng.random(n) < 0.15).astype(int)
        device = rng.choice(DEVICES, size=n, p=[0.05, 0.05, 0.45, 0.45])
    else:
        amount = np.round(rng.lognormal(mean=3.4, sigma=0.9, size=n), 2)
        country = rng.choice(COUNTRIES, size=n, p=[0.4, 0.15, 0.12, 0.1, 0.08, 0.07, 0.05, 0.03])
        hour = rng.choice(24, size=n, p=_daytime_hours())
        card_present = (rng.random(n) < 0.7).astype(int)
        device = np.where(card_present == 1, rng.choice(DEVICES[:2], size=n), rng.choice(DEVICES[2:], size=n))
    merchant = rng.choice(MERCHANT_CATEGORIES, size=n, p=[0.25, 0.12, 0.15, 0.08, 0.07, 0.2, 0.08, 0.05])
    customer_age = np.clip(np.round(rng.normal(42, 14, size=n)), 18, 90).astype(int)
    account_age = np.clip(np.round(rng.exponential(900, size=n)), 1, 7000).astype(int)
    velocity = rng.poisson(2.0, size=n)
    logit = (-5.2 + 0.9 * (np.log(amount) - 3.4) + 1.3 * (1 - card_present) + 0.9 * ((hour < 6) | (hour > 22))
             + 0.8 * (account_age < 60) + 0.35 * (velocity - 2) + 0.7 * np.isin(merchant, ['electronics', 'online_retail']))
    is_fraud = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    rows = []
    for i in range(n):
        rows.append([f'tx-{first_id + i:06d}', f'{amount[i]:.2f}', merchant[i], country[i], int(hour[i]), int(card_present[i]),
                     int(customer_age[i]), int(account_age[i]), device[i], int(velocity[i]), int(is_fraud[i])])
    return rows


def _daytime_hours():
    w = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.5, 3, 4, 5, 5.5, 6, 6.5, 6, 5.5, 5.5, 6, 6.5, 6.5, 6, 5, 4, 3, 2])
    return w / w.sum()


def _night_heavy_hours():
    w = np.array([6, 6, 5.5, 5, 4.5, 3, 2, 1.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.5, 2, 3, 4, 5, 6, 6])
    return w / w.sum()


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(','.join(header) + '\n')
        for r in rows:
            f.write(','.join(str(v) for v in r) + '\n')


def train(rows):
    """A scikit-learn Pipeline (scaling + one-hot + gradient boosting), trained on the numeric features."""
    X = np.array([[float(r[COLUMNS.index(c)]) if c in NUMERIC else r[COLUMNS.index(c)] for c in FEATURES] for r in rows], dtype=object)
    y = np.array([r[-1] for r in rows])
    numeric_idx = list(range(len(NUMERIC)))
    categorical_idx = list(range(len(NUMERIC), len(FEATURES)))
    model = Pipeline([
        ('features', ColumnTransformer([
            ('numeric', StandardScaler(), numeric_idx),
            ('categorical', OneHotEncoder(handle_unknown='ignore'), categorical_idx),
        ])),
        ('classifier', GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=7)),
    ])
    model.fit(X, y)
    return model, X, y


def poisoned_pickle():
    """Protocol-2 pickle: os.system('echo bulwark-inert-fixture') via GLOBAL + REDUCE. Hand-assembled, never loaded."""
    command = b'echo bulwark-inert-fixture'
    return (b'\x80\x02' + b'cos\nsystem\n' + b'X' + len(command).to_bytes(4, 'little') + command
            + b'\x85' + b'R' + b'.')


def sign(model_dir, public_key_path):
    """Signs model_dir with `bulwark sign` and an ephemeral P-256 key; keeps only the public key."""
    if not os.path.exists(BULWARK):
        sys.exit(f'{BULWARK} not found: run `npm run build` first')
    with tempfile.TemporaryDirectory() as tmp:
        private_key = os.path.join(tmp, 'ml-release.key.pem')
        subprocess.run(['openssl', 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', private_key], check=True)
        os.makedirs(os.path.dirname(public_key_path), exist_ok=True)
        subprocess.run(['openssl', 'ec', '-in', private_key, '-pubout', '-out', public_key_path], check=True, stderr=subprocess.DEVNULL)
        subprocess.run(['node', BULWARK, 'sign', '--key', private_key, '--quiet', model_dir], check=True, stdout=subprocess.DEVNULL)


def leak_pii(rows, rng):
    """Adds a free-text `note` column in which support staff pasted e-mail addresses and card numbers."""
    cards = ['4111111111111111', '5500005555555559', '4012888888881881', '378282246310005']
    out = []
    for i, r in enumerate(rows):
        if i % 7 == 0:
            note = f'customer called from jane.doe{i}@example.com about card {cards[i % len(cards)]}'
        elif i % 11 == 0:
            note = f'refund sent to account holder {i}@mail.example.org'
        else:
            note = 'none'
        out.append(r[:-1] + [note] + r[-1:])
    return out


def main():
    rng = np.random.RandomState(20261121)
    train_rows = transactions(rng, 4000, 1)
    reference_rows = transactions(rng, 2000, 10001)
    current_rows = transactions(rng, 2000, 20001)
    drifted_rows = transactions(rng, 2000, 30001, drifted=True)

    model, _, _ = train(train_rows)

    for project in (HERE, COMPROMISED):
        for sub in ('data', 'model', 'keys'):
            shutil.rmtree(os.path.join(project, sub), ignore_errors=True)

    # The healthy project.
    write_csv(os.path.join(HERE, 'data', 'train.csv'), COLUMNS, train_rows)
    write_csv(os.path.join(HERE, 'data', 'reference.csv'), COLUMNS, reference_rows)
    write_csv(os.path.join(HERE, 'data', 'current.csv'), COLUMNS, current_rows)
    model_dir = os.path.join(HERE, 'model')
    os.makedirs(model_dir)
    joblib.dump(model, os.path.join(model_dir, 'model.joblib'), compress=False)
    sign(model_dir, os.path.join(HERE, 'keys', 'ml-release.pub.pem'))

    # The compromised project: same model signed, then swapped; PII in training data; drifted current data.
    leaky = leak_pii(train_rows, rng)
    write_csv(os.path.join(COMPROMISED, 'data', 'train.csv'), COLUMNS[:-1] + ['note', 'is_fraud'], leaky)
    write_csv(os.path.join(COMPROMISED, 'data', 'reference.csv'), COLUMNS, reference_rows)
    write_csv(os.path.join(COMPROMISED, 'data', 'current.csv'), COLUMNS, drifted_rows)
    bad_dir = os.path.join(COMPROMISED, 'model')
    os.makedirs(bad_dir)
    joblib.dump(model, os.path.join(bad_dir, 'model.joblib'), compress=False)
    sign(bad_dir, os.path.join(COMPROMISED, 'keys', 'ml-release.pub.pem'))
    with open(os.path.join(bad_dir, 'model.joblib'), 'wb') as f:
        f.write(poisoned_pickle())

    print('wrote', os.path.relpath(HERE, ROOT), 'and', os.path.relpath(COMPROMISED, ROOT))


if __name__ == '__main__':
    main()
