/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* One training run (pairs, augmentation, model, Adam, per-epoch evaluation), and the study:
 * several models × rounds on worker threads. Nothing here is global, so runs on different threads
 * never meet; progress and cancellation go through callbacks. */

#include <stdbool.h>
#include <stdint.h>

#include "pb-data.h"
#include "pb-model.h"
#include "pb-status.h"

#define PB_MAX_PAIRS 1000000
#define PB_MAX_TRANSLATE 7
#define PB_MAX_SCALE 0.5f
#define PB_MAX_SHEAR 1.0f
#define PB_MAX_WEIGHT_DECAY 1.0f

typedef enum
{
  PB_SCHEDULE_CONSTANT, /* the base learning rate throughout */
  PB_SCHEDULE_COSINE,   /* step t of T: base · ½(1 + cos(π t / T)) */
} PbSchedule;

typedef struct
{
  PbArch arch;
  int epochs;          /* 25 */
  int batch;           /* 100 */
  float lr;            /* 1e-3 */
  float beta1, beta2;  /* 0.9, 0.999 */
  float adam_eps;      /* 1e-8 */
  int train_pairs;     /* 1000 */
  int test_pairs;      /* 1000 */
  float augment_deg;   /* 10; 0 turns augmentation off */
  uint64_t seed;       /* 1 */
  int eval_every;      /* 1: evaluate after every epoch; N: every Nth; 0: the last only */
  PbSchedule schedule; /* constant */
  float weight_decay;  /* 0: decoupled (AdamW) weight decay on every parameter */
  /* Augmentations drawn afresh every epoch, on the training pairs only (not the validation
   * split); labels are always recomputed from the classes. */
  int translate;       /* 0: off; k: shift each image by its own (dx, dy) uniform in [−k, k] */
  float scale;         /* 0: off; s: scale each image by its own factor uniform in [1 − s, 1 + s] */
  float shear;         /* 0: off; h: shear each image horizontally by a factor uniform in [−h, h] */
  bool swap;           /* false: swap each pair's two images with probability ½ */
  bool repair;         /* false: pair the training images (and rotated copies) afresh */
  int val_pairs;       /* 0: the last val_pairs drawn training pairs, held out for validation */
} PbTrainSettings;

/* The report's settings for the named model. */
PbStatus pb_train_settings_init (PbTrainSettings *self, const char *model, PbError *err);
/* Replaces every setting with a named preset: "report" (the report's siamese-aux) or "best".
 * Unknown names fail with PB_ERR_INVALID and a message listing the valid ones. */
PbStatus pb_train_settings_preset (PbTrainSettings *self, const char *name, PbError *err);
/* The preset names, NULL-terminated; static storage. */
const char *const *pb_train_preset_names (void);
/* "constant", "cosine"; and back (false for an unknown name). */
const char *pb_schedule_name (PbSchedule schedule);
bool        pb_schedule_from_name (const char *name, PbSchedule *out);
/* The learning rate of 0-based step t out of total for a base rate. */
float       pb_schedule_lr (PbSchedule schedule, float base, long t, long total);
/* Range checks, with the option's name and accepted range in the message. Data-dependent
 * limits (pairs vs. images available) are checked by pb_run_new. */
PbStatus pb_train_settings_validate (const PbTrainSettings *self, PbError *err);

typedef struct
{
  int epoch;              /* 1-based */
  double train_loss;      /* mean over the epoch's batches */
  double train_main_loss;
  double train_aux_loss;  /* unweighted CE(d1) + CE(d2) */
  /* The errors and chunk_sd are NaN for epochs not evaluated (see eval_every); the last epoch
   * always is. */
  double train_error;     /* original training pairs, eval mode */
  double test_error;
  double digit_error;     /* test images, from the digit logits */
  double chunk_sd;        /* std of the test error over 20 chunks (the report's "±") */
  double val_error;       /* the validation split; also NaN when val_pairs is 0 */
  double val_digit_error;
  double seconds;         /* wall time since the run started */
  double train_seconds;   /* cumulative forward + backward + Adam */
  double eval_seconds;    /* cumulative evaluation */
} PbEpochRecord;

typedef struct
{
  int epoch;              /* 1-based */
  int step;               /* 1-based, over the whole run */
  float loss;
  float main_loss;
  float aux_loss;
  float lr;               /* the learning rate this step used */
  double seconds;         /* wall time since the run started, at the end of the step */
} PbBatchRecord;

/* A learning-rate change made during the run (pb_run_set_lr). */
typedef struct
{
  int step;               /* batches done before it: it applies from step + 1 on */
  int epoch;              /* 1-based epoch in progress */
  float lr;               /* the new base learning rate */
} PbLrChange;

#define PB_MAX_LR_CHANGES 256

typedef struct PbRun PbRun;

typedef enum
{
  PB_PROGRESS_BATCH,
  PB_PROGRESS_EPOCH,
} PbProgress;

typedef struct
{
  /* Called on the training thread after every batch and every epoch. */
  void (*progress) (void *user_data, const PbRun *run, PbProgress what);
  /* Polled between batches; true stops the run with PB_ERR_CANCELLED. */
  bool (*cancelled) (void *user_data);
  void *user_data;
} PbTrainCallbacks;

/* Draws the pairs, builds the augmented set and initialises the model, all from the seed.
 * mnist is only read, and must outlive the run. */
PbStatus pb_run_new (const PbTrainSettings *settings, const PbMnist *mnist, PbRun **out,
                     PbError *err);
void     pb_run_free (PbRun *self);

/* Trains the remaining epochs. On PB_ERR_CANCELLED or PB_ERR_DIVERGED the records of the
 * finished epochs and batches stay in the run. */
PbStatus pb_run_train (PbRun *self, const PbTrainCallbacks *cb, PbError *err);
/* One batch (and the epoch's evaluation when it ends the epoch). PB_OK while there is more. */
PbStatus pb_run_step (PbRun *self, PbError *err);
bool     pb_run_finished (const PbRun *self);
/* skip: the test pairs are never evaluated (test_error, digit_error and chunk_sd stay NaN), so
 * a sweep chooses without seeing them. Call it before training. */
void     pb_run_skip_test (PbRun *self, bool skip);

const PbTrainSettings *pb_run_settings (const PbRun *self);
PbModel       *pb_run_model (PbRun *self);
const PbModel *pb_run_model_const (const PbRun *self);
/* The training part of the drawn pairs (train_pairs − val_pairs), as drawn. */
const PbPairs *pb_run_train_pairs (const PbRun *self);
const PbPairs *pb_run_augmented_pairs (const PbRun *self); /* originals then rotated copies */
const float   *pb_run_augment_angles (const PbRun *self);  /* [n, 2] for the copies, or NULL */
const PbPairs *pb_run_val_pairs (const PbRun *self);       /* the held-out last val_pairs */
const PbPairs *pb_run_test_pairs (const PbRun *self);
/* Whether translate, swap or repair make every epoch's training set anew. */
bool           pb_run_augments_per_epoch (const PbRun *self);
/* The training set of the epoch in progress (or the last), in pair order before the shuffle:
 * what the run trains on. Without per-epoch augmentation it is pb_run_augmented_pairs. */
const PbPairs *pb_run_current_pairs (const PbRun *self);
double         pb_run_input_mean (const PbRun *self);
double         pb_run_input_std (const PbRun *self);
int            pb_run_n_epochs_done (const PbRun *self);
const PbEpochRecord *pb_run_epochs (const PbRun *self);
int            pb_run_n_batches_done (const PbRun *self);
const PbBatchRecord *pb_run_batches (const PbRun *self);
int            pb_run_batches_per_epoch (const PbRun *self);

/* What a pair of an epoch's training set is made of. */
typedef struct
{
  int slot[2];      /* each image's index in pb_run_augmented_pairs, image-major: pair p's
                     * image h is 2p + h (≥ 2n: a rotated copy) */
  int source[2];    /* each image's index in the MNIST training split */
  float angle[2];   /* each image's rotation in degrees, 0 if not rotated */
  float scale[2];   /* each image's scale factor, 1 if not scaled */
  float shear[2];   /* each image's shear factor, 0 if not sheared */
  int dx[2], dy[2]; /* each image's shift in pixels (pb_translate_image), after the scale and
                     * shear */
  bool swapped;     /* the two images were swapped */
} PbAugmentInfo;

/* The training set of 1-based epoch `epoch` (1 to settings.epochs), the pairs in order before the
 * shuffle, reproduced without touching the run: out is allocated (pb_pairs_clear it), info is
 * NULL or has pb_run_augmented_pairs (run)->n entries. It reads only what pb_run_new fixed, so
 * another thread may call it while the run trains. */
PbStatus pb_run_epoch_pairs (const PbRun *run, int epoch, PbPairs *out, PbAugmentInfo *info,
                             PbError *err);

/* Changes the base learning rate (which the schedule scales) from the next step on and records
 * the change (a run with changes is "modified"). Not thread-safe: call it between steps, on the
 * training thread.
 * Fails with PB_ERR_INVALID for a non-finite or non-positive lr, or after PB_MAX_LR_CHANGES. */
PbStatus       pb_run_set_lr (PbRun *self, float lr, PbError *err);
float          pb_run_lr (const PbRun *self);  /* the base rate; the schedule scales it */
int            pb_run_n_lr_changes (const PbRun *self);
const PbLrChange *pb_run_lr_changes (const PbRun *self);

/* Eval-mode predictions on a pair set (0–255 scale; standardised with mean and std here).
 * Any output may be NULL. labels_out: [n]  prob1: [n], P(label = 1)  digits: [n, 2] */
PbStatus pb_model_predict (PbModel *model, double mean, double std, const PbPairs *pairs,
                           uint8_t *labels_out, float *prob1, uint8_t *digits, PbError *err);

/* The pairs a run with these settings draws (seed, train_pairs or test_pairs), without building
 * the run: the first n test pairs are the same whatever test_pairs is. Of the training pairs,
 * the last val_pairs are the validation split. */
PbStatus pb_run_draw_pairs (const PbTrainSettings *settings, const PbMnist *mnist, PbSplit split,
                            PbPairs *out, PbError *err);

typedef enum
{
  PB_LAYER_LOGITS, /* the digit logits (fc2) */
  PB_LAYER_FC1,    /* the hidden layer */
} PbLayer;

/* Features for an embedding. siamese and twin: one row per image, pair-major (pair 0 image 1,
 * pair 0 image 2, pair 1 image 1, …); stacked: one row per pair. */
int      pb_model_feature_rows (const PbModel *model, int n_pairs);
int      pb_model_feature_dim (const PbModel *model, PbLayer layer);
/* out: [feature_rows, feature_dim] */
PbStatus pb_model_features (PbModel *model, double mean, double std, const PbPairs *pairs,
                            PbLayer layer, float *out, PbError *err);

typedef struct
{
  double error;         /* fraction of wrong labels */
  double digit_error;   /* fraction of wrong digits over the 2n images */
  double chunk_sd;      /* sample std of the error over 20 equal chunks */
} PbEvaluation;

PbStatus pb_model_evaluate (PbModel *model, double mean, double std, const PbPairs *pairs,
                            PbEvaluation *out, PbError *err);

/* The study: every model × rounds; round r of every model uses seed base + r. */
typedef struct
{
  int model_index;
  int round;
  uint64_t seed;
  PbStatus status;
  size_t params;
  PbEpochRecord final;  /* the last epoch's record */
  PbEpochRecord *epochs; /* [settings.epochs], owned by the study */
  int n_epochs;
} PbRoundResult;

typedef struct
{
  /* Called from worker threads (serialised by the study's lock) when a round ends. */
  void (*round_done) (void *user_data, const PbRoundResult *result);
  bool (*cancelled) (void *user_data);
  void *user_data;
  /* Optional: called on the worker thread, without the study's lock, when a round has trained,
   * before its run is freed (e.g. to keep features of its model). */
  void (*round_run) (void *user_data, const PbRoundResult *result, PbRun *run);
} PbStudyCallbacks;

/* base: settings shared by every model (its arch is replaced by each model's).
 * results: [n_models × rounds], model-major. */
PbStatus pb_study_run (const PbTrainSettings *base, const PbArch *models, int n_models,
                       int rounds, int jobs, const PbMnist *mnist, const PbStudyCallbacks *cb,
                       PbRoundResult *results, PbError *err);
/* The same with every model's own settings (a preset beside the report's models); round r of
 * model m uses seed each[m].seed + r. */
PbStatus pb_study_run_each (const PbTrainSettings *each, int n_models, int rounds, int jobs,
                            const PbMnist *mnist, const PbStudyCallbacks *cb,
                            PbRoundResult *results, PbError *err);
void     pb_study_results_clear (PbRoundResult *results, int n);

double   pb_now_seconds (void);
