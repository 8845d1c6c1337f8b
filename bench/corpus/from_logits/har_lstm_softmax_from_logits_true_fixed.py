"""
Source: https://github.com/mmalekzadeh/dana/issues/1
Symptom: "Potential bug - Usage of from_logits=True on the model that has softmax activated
  output": a human-activity-recognition model (Conv2D over time, Reshape, two LSTMs,
  Dense(out_shape, activation='softmax')) trained with a cross-entropy built with
  from_logits=True (CategoricalCrossentropy in this re-expression).
Fault category: from-logits
Fix: Drop from_logits=True, since the model ends in a softmax.
Needs-training: no
"""
import numpy as np
import keras
from keras.layers import Input, Conv2D, Reshape, LSTM, Dropout, Dense

keras.utils.set_random_seed(0)


def Ordonez2016DeepOriginal(inp_shape, out_shape):
    nb_filters = 16
    drp_out_dns = .5
    nb_dense = 32
    inp = Input(inp_shape)
    x = Conv2D(nb_filters, kernel_size=(5, 1), strides=(1, 1), padding="valid", activation="relu")(inp)
    x = Conv2D(nb_filters, kernel_size=(5, 1), strides=(1, 1), padding="valid", activation="relu")(x)
    x = Reshape((x.shape[1], x.shape[2] * x.shape[3]))(x)
    act = LSTM(nb_dense, return_sequences=True, activation="tanh", name="lstm_1")(x)
    act = Dropout(drp_out_dns, name="dot_1")(act)
    act = LSTM(nb_dense, activation="tanh", name="lstm_2")(act)
    act = Dropout(drp_out_dns, name="dot_2")(act)
    out_act = Dense(out_shape, activation="softmax", name="act_smx")(act)
    return keras.models.Model(inputs=inp, outputs=out_act)


X = np.random.randn(240, 48, 3, 1).astype("float32")
Y = keras.utils.to_categorical(np.random.randint(0, 6, size=(240,)), 6)
model = Ordonez2016DeepOriginal((48, 3, 1), 6)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss=keras.losses.CategoricalCrossentropy(),
              metrics=["accuracy"])
model.fit(X, Y, epochs=2, batch_size=32, verbose=2)
