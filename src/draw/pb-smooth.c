/* SPDX-License-Identifier: GPL-3.0-or-later */

#include <math.h>
#include <stdlib.h>

#include "pb-smooth.h"

void
pb_smooth_ema (const double *y,
               size_t        n,
               double        s,
               double       *out)
{
  double last = 0, weight = 1;

  if (!(s > 0))
    s = 0;
  if (s > PB_SMOOTH_MAX)
    s = PB_SMOOTH_MAX;
  for (size_t i = 0; i < n; i++)
    {
      if (!isfinite (y[i]))
        {
          out[i] = y[i];
          continue;
        }
      last = last * s + (1 - s) * y[i];
      /* weight = s^t, kept as a running product rather than pow () per point. */
      weight *= s;
      out[i] = last / (1 - weight);
    }
}

double
pb_quantile_sorted (const double *sorted,
                    size_t        n,
                    double        q)
{
  double pos;
  size_t i;

  if (n == 1 || !(q > 0))
    return sorted[0];
  if (q >= 1)
    return sorted[n - 1];
  pos = q * (double) (n - 1);
  i = (size_t) floor (pos);
  if (i >= n - 1)
    return sorted[n - 1];
  return sorted[i] + (pos - (double) i) * (sorted[i + 1] - sorted[i]);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

size_t
pb_robust_range (double *y,
                 size_t  n,
                 double  q,
                 double  margin,
                 bool    positive_only,
                 double *lo,
                 double *hi)
{
  size_t used = 0;
  double a, b, span;

  for (size_t i = 0; i < n; i++)
    if (isfinite (y[i]) && (!positive_only || y[i] > 0))
      {
        double t = y[used];
        y[used++] = y[i];
        y[i] = t;
      }
  if (used == 0)
    return 0;
  qsort (y, used, sizeof *y, compare_doubles);
  if (q < 0)
    q = 0;
  if (q > 0.5)
    q = 0.5;
  a = pb_quantile_sorted (y, used, q);
  b = pb_quantile_sorted (y, used, 1 - q);
  if (positive_only)
    a = log10 (a), b = log10 (b);
  span = b - a;
  if (span > 0)
    a -= margin * span, b += margin * span;
  else
    {
      double d = a != 0 ? margin * fabs (a) : margin;
      a -= d, b += d;
    }
  if (positive_only)
    a = pow (10, a), b = pow (10, b);
  *lo = a;
  *hi = b;
  return used;
}
