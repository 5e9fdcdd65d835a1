/*
 * recsys_predict.h: rating prediction at request time (explicit data).
 */

#ifndef RECSYS_PREDICT_H
#define RECSYS_PREDICT_H

#include "recsys_model.h"


typedef struct {
    double  user_knn;       /* mean-centred user-kNN prediction */
    double  item_knn;       /* mean-centred item-kNN prediction */
    double  user_mean;
    double  item_mean;
    int     user_support;   /* neighbours that rated the item */
    int     item_support;   /* similar items the user rated */
} recsys_prediction_t;


/*
 * Predicts user u's value for item i from the model's lists:
 *   user-kNN  mean(u) + sum_v sim(u,v) (r(v,i) - mean(v)) / sum_v |sim(u,v)|
 *             over u's user-CF neighbours v who rated i;
 *   item-kNN  mean(i) + sum_j sim(i,j) (r(u,j) - mean(j)) / sum_j |sim(i,j)|
 *             over i's item-CF neighbours j that u rated;
 * each falling back to its mean when no neighbour applies and clipped to
 * the range of values seen in training.  RECSYS_ENOTFOUND when the model
 * lacks the means (a model built without them).
 */
int recsys_predict(const recsys_model_t *model, uint32_t u, uint32_t i,
    recsys_prediction_t *p);

#endif /* RECSYS_PREDICT_H */
