# The polynomial coefficients of native/core/vmath.h: g(r) ≈ (eʳ − 1 − r)/r² on
# |r| ≤ 0.3466 (≥ ln2/2 plus the reduction's rounding) by Chebyshev
# interpolation in 50-digit arithmetic (mpmath.chebyfit), printed in C hex
# notation, lowest degree first, with the largest error of g and of r² g.
# The float ones were rounded to float (numpy.float32) before use.
import mpmath as mp

mp.mp.dps = 50


def g(r):
    r = mp.mpf(r)
    if abs(r) < mp.mpf("1e-20"):
        return mp.mpf(1) / 2 + r / 6
    return (mp.expm1(r) - r) / r**2


h = mp.mpf("0.3466")
for deg, use in ((4, "float tanh"), (5, "float exp"), (10, "double")):
    c, err = mp.chebyfit(g, [-h, h], deg + 1, error=True)
    c = c[::-1]  # chebyfit lists the highest degree first
    print(f"{use}: g of degree {deg}, |error| {mp.nstr(err, 3)}, after r² {mp.nstr(err * h * h, 3)}")
    print("  " + ", ".join(float(x).hex() for x in c))
