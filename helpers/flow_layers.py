"""The bijectors taught in ``01_normalizing_flows.ipynb``, for the notebooks that build on it.

Notebook 01 defines these classes in its own cells, where they are explained;
``tests/test_flow_layers.py`` checks that the code here is the same, letter
for letter, so the two never drift apart.
"""

import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors


class LeakyReLU(tfb.Bijector):
    "Elementwise leaky ReLU with slope `alpha` in (0, 1) below zero; `corner` > 0 rounds its corner."

    def __init__(self, alpha, corner=0.0, name="leaky_relu"):
        super().__init__(forward_min_event_ndims=0, name=name)
        self.alpha = tf.convert_to_tensor(alpha, dtype=tf.float32)
        self.corner = float(corner)

    def _abs(self, t, width):
        # |t| with its corner rounded over `width`; exactly |t| when corner == 0
        return tf.sqrt(t**2 + width**2) if self.corner > 0 else tf.abs(t)

    def _forward(self, z):
        a = self.alpha
        return 0.5 * ((1 + a) * z + (1 - a) * self._abs(z, self.corner))

    def _inverse(self, y):
        a = self.alpha
        return ((1 + a) * y - (1 - a) * self._abs(y, tf.sqrt(a) * self.corner)) / (2 * a)

    def _forward_log_det_jacobian(self, z):
        a = self.alpha
        d_abs = z / self._abs(z, self.corner) if self.corner > 0 else tf.sign(z)  # d|z|/dz
        return tf.math.log(0.5 * ((1 + a) + (1 - a) * d_abs))


class RotateScaleShift(tfb.Bijector):
    "Affine map y = Q(angle) T z + shift of 2-D vectors; T is lower-triangular with a positive diagonal."

    def __init__(self, angle, diag, lower, shift, name="affine"):
        super().__init__(forward_min_event_ndims=1, is_constant_jacobian=True, name=name)
        cos, sin = tf.cos(angle), tf.sin(angle)
        q = tf.stack([tf.stack([cos, -sin]), tf.stack([sin, cos])])
        t = tf.stack([tf.stack([diag[0], 0.0]), tf.stack([lower, diag[1]])])
        self.matrix = q @ t
        self.inverse_matrix = tf.linalg.triangular_solve(t, tf.transpose(q), lower=True)  # T^-1 Q^T
        self.shift = shift
        self.log_det = tf.reduce_sum(tf.math.log(diag))

    def _forward(self, z):
        return tf.linalg.matvec(self.matrix, z) + self.shift

    def _inverse(self, y):
        return tf.linalg.matvec(self.inverse_matrix, y - self.shift)

    def _forward_log_det_jacobian(self, z):
        return self.log_det
